// The phases over a filter list: one std::visit per filter, calling the step its type defines
// (a type without a step for the phase is passed over).
#include "dataplane/filters/filters.h"

#include <type_traits>
#include <variant>

namespace gatehouse::filters {

namespace {

template <class F>
concept Answers = requires(const F& f, const snapshot::PathMatch& matched, const http::Request& request) {
  answer(f, matched, request);
};
template <class F>
concept ChangesRequest = requires(const F& f, RequestFilterContext& context) { applyRequest(f, context); };
template <class F>
concept ChangesResponse = requires(const F& f, http::Response& response) { applyResponse(f, response); };
template <class F>
concept ChangesResponseForRequest = requires(const F& f, const http::Request& request, http::Response& response) {
  applyResponse(f, request, response);
};

}  // namespace

std::optional<http::Response> answerFor(const snapshot::Filters& filters, const snapshot::PathMatch& matched,
                                        const http::Request& request) {
  for (const snapshot::Filter& filter : filters) {
    std::optional<http::Response> response = std::visit(
        [&](const auto& f) -> std::optional<http::Response> {
          if constexpr (Answers<std::remove_cvref_t<decltype(f)>>) return answer(f, matched, request);
          return std::nullopt;
        },
        filter);
    if (response) return response;
  }
  return std::nullopt;
}

void applyRequestFilters(const snapshot::Filters& filters, RequestFilterContext& context) {
  for (const snapshot::Filter& filter : filters) {
    std::visit(
        [&](const auto& f) {
          if constexpr (ChangesRequest<std::remove_cvref_t<decltype(f)>>) applyRequest(f, context);
        },
        filter);
  }
}

bool hasResponseFilters(const snapshot::Filters& filters) {
  for (const snapshot::Filter& filter : filters) {
    const bool changes = std::visit(
        [](const auto& f) {
          using F = std::remove_cvref_t<decltype(f)>;
          return ChangesResponse<F> || ChangesResponseForRequest<F>;
        },
        filter);
    if (changes) return true;
  }
  return false;
}

void applyResponseFilters(const snapshot::Filters& filters, const http::Request& request, http::Response& response) {
  for (const snapshot::Filter& filter : filters) {
    std::visit(
        [&](const auto& f) {
          using F = std::remove_cvref_t<decltype(f)>;
          if constexpr (ChangesResponse<F>) applyResponse(f, response);
          else if constexpr (ChangesResponseForRequest<F>) applyResponse(f, request, response);
        },
        filter);
  }
}

}  // namespace gatehouse::filters
