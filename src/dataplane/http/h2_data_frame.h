#pragma once
// The one way both HTTP/2 sides (http/h2_connection.cc downstream, upstream/h2c_client.cc) write
// a DATA frame nghttp2 sized with NGHTTP2_DATA_FLAG_NO_COPY: from nghttp2_send_data_callback,
// straight into the connection's write batch.
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::http {

// nghttp2_send_data_callback's contract: the 9-byte frame header, the pad length byte when
// padded, the body, then the padding.
inline void appendDataFrame(std::string& batch, const nghttp2_frame& frame, const uint8_t* header,
                            std::string_view body) {
  batch.append(reinterpret_cast<const char*>(header), 9);
  if (frame.data.padlen > 0) batch.push_back(static_cast<char>(frame.data.padlen - 1));
  batch.append(body);
  if (frame.data.padlen > 1) batch.append(frame.data.padlen - 1, '\0');
}

}  // namespace gatehouse::http
