#pragma once
// Idle keep-alive connections of one worker, without a timer or coroutine each: a connection
// that goes idle parks here (one intrusive link and a deadline) while a plain readiness wait sits
// on its socket. Each distinct timeout has its own FIFO lane (the deadlines in a lane are in
// order), and one worker timer fires for the earliest lane head. This is what keeps an idle
// keep-alive connection under 1 KB (docs/design/event-loop.md).
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>

#include <chrono>
#include <vector>

namespace gatehouse::dataplane {

class IdleEntry {
 public:
  using Clock = std::chrono::steady_clock;
  boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> idle_hook;
  Clock::time_point idle_deadline{};
  virtual ~IdleEntry() = default;
  // The idle timeout passed: the entry has been removed from the list; close.
  virtual void idleExpired() = 0;
};

class IdleList {
 public:
  explicit IdleList(boost::asio::io_context& io) : timer_(io) {}
  ~IdleList();

  void park(IdleEntry& entry, std::chrono::milliseconds timeout);
  static void unpark(IdleEntry& entry) {
    if (entry.idle_hook.is_linked()) entry.idle_hook.unlink();
  }
  size_t size() const;

 private:
  using List = boost::intrusive::list<
      IdleEntry, boost::intrusive::member_hook<IdleEntry, decltype(IdleEntry::idle_hook), &IdleEntry::idle_hook>,
      boost::intrusive::constant_time_size<false>>;
  struct Lane {
    std::chrono::milliseconds timeout;
    List entries;
  };
  void arm(IdleEntry::Clock::time_point at);
  void expire();

  boost::asio::steady_timer timer_;
  std::vector<Lane> lanes_;  // a handful: one per configured timeout
  bool armed_ = false;
  IdleEntry::Clock::time_point armed_at_{};
};

}  // namespace gatehouse::dataplane
