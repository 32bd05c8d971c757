#pragma once
// Leadership through a coordination.k8s.io/v1 Lease, as client-go's leader election does it:
// try to acquire or renew every retry period; another holder's lease counts as held until
// leaseDuration after we last saw it change (our clock, not theirs); a leader that cannot renew
// within the renew deadline steps down. Leading only decides who writes status: every instance
// watches and serves traffic either way.
#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "providers/kube/api_client.h"

namespace gatehouse::providers::kube {

struct LeaseOptions {
  std::string ns = "gatehouse-system";
  std::string name = "gatehouse-controller";
  std::string identity;  // unique per process
  std::chrono::milliseconds duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  // The defaults' ratios for another duration D: renew deadline 2D/3, retry period D/7.5.
  static LeaseOptions forDuration(std::chrono::seconds duration);
};

// "HOST_RANDOM": unique per process, and says which pod holds the lease.
std::string defaultIdentity();
// RFC 3339 with six fraction digits, the Lease's MicroTime.
std::string microTime(std::chrono::system_clock::time_point t);

class LeaderElector {
 public:
  LeaderElector(ApiClient& client, LeaseOptions options, std::function<void(bool leading)> on_change)
      : client_(client), options_(std::move(options)), on_change_(std::move(on_change)) {}

  boost::asio::awaitable<void> run();
  // Gives the lease up (holder cleared) so another instance takes over at once, not after it expires.
  boost::asio::awaitable<void> release();
  bool leading() const { return leading_; }

 private:
  boost::asio::awaitable<bool> tryAcquireOrRenew();
  std::string path() const;

  ApiClient& client_;
  LeaseOptions options_;
  std::function<void(bool)> on_change_;
  bool leading_ = false;
  std::string observed_;  // the holder and renewTime last seen
  std::chrono::steady_clock::time_point observed_at_{};
  bool reported_error_ = false;
};

}  // namespace gatehouse::providers::kube
