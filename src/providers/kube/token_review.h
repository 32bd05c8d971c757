#pragma once
// Who holds a bearer token, by the API server's TokenReview: how the controller authenticates a
// data plane's projected service-account token on the config stream without any key of its own.
#include <string>

#include <boost/asio/awaitable.hpp>

#include "common/result.h"
#include "providers/kube/api_client.h"

namespace gatehouse::providers::kube {

// The authenticated user name ("system:serviceaccount:NS:NAME") of a token issued for
// `audience`; an Error says why not (not authenticated, or the review failed).
boost::asio::awaitable<Result<std::string>> reviewToken(ApiClient& client, std::string token, std::string audience);

}  // namespace gatehouse::providers::kube
