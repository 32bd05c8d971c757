#include "providers/kube/token_review.h"

#include <nlohmann/json.hpp>

namespace gatehouse::providers::kube {

boost::asio::awaitable<Result<std::string>> reviewToken(ApiClient& client, std::string token, std::string audience) {
  const nlohmann::json review = {{"apiVersion", "authentication.k8s.io/v1"},
                                 {"kind", "TokenReview"},
                                 {"spec", {{"token", std::move(token)}, {"audiences", nlohmann::json::array({audience})}}}};
  std::string target = "/apis/authentication.k8s.io/v1/tokenreviews";
  std::string body = review.dump();
  auto response = co_await client.request("POST", std::move(target), std::move(body), "application/json");
  if (!response) co_return Error{"TokenReview: " + response.error().message};
  if (response->status != 201 && response->status != 200) co_return Error{"TokenReview: " + response->describe()};
  auto answer = nlohmann::json::parse(response->body, nullptr, false);
  const nlohmann::json status = answer.is_object() ? answer.value("status", nlohmann::json::object()) : nlohmann::json::object();
  if (!status.is_object() || !status.value("authenticated", false)) {
    const std::string why = status.is_object() ? status.value("error", "") : "";
    co_return Error{"token not authenticated for audience " + audience + (why.empty() ? "" : ": " + why)};
  }
  const auto user = status.value("user", nlohmann::json::object());
  const std::string name = user.is_object() ? user.value("username", "") : "";
  if (name.empty()) co_return Error{"TokenReview: authenticated without a user name"};
  co_return name;
}

}  // namespace gatehouse::providers::kube
