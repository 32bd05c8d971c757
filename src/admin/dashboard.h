#pragma once
// The dashboard (GET / on the admin address): one self-contained page, compiled into the binary
// from admin/dashboard.html. It reads /status, /config, /errors and /metrics of its own origin.
#include <string_view>

namespace gatehouse::admin {

extern const std::string_view kDashboardPage;

}  // namespace gatehouse::admin
