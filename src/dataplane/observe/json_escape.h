#pragma once
// JSON string escaping for log lines that must not be forged by request bytes: the result is
// valid UTF-8 on one line whatever the input.
#include <string>
#include <string_view>

namespace gatehouse::dataplane::observe {

// Appends `bytes` as a quoted JSON string. Escaped: '"' and '\\' (as \" and \\), control
// characters (U+0000..U+001F, U+007F, and U+0085 NEL), the line and paragraph separators
// U+2028/U+2029 (line breaks to some readers), all as \uXXXX; each byte of an invalid UTF-8
// sequence (stray continuation, overlong form, surrogate, beyond U+10FFFF, truncated) as \u00XX,
// i.e. read as Latin-1, so no byte is lost. Valid multi-byte UTF-8 passes through unchanged.
void appendJsonString(std::string& out, std::string_view bytes);

}  // namespace gatehouse::dataplane::observe
