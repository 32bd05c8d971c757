#include "dataplane/event/idle_list.h"

namespace gatehouse::dataplane {

IdleList::~IdleList() {
  for (Lane& lane : lanes_) lane.entries.clear();
}

void IdleList::park(IdleEntry& entry, std::chrono::milliseconds timeout) {
  unpark(entry);
  entry.idle_deadline = IdleEntry::Clock::now() + timeout;
  Lane* lane = nullptr;
  for (Lane& l : lanes_) {
    if (l.timeout == timeout) lane = &l;
  }
  if (lane == nullptr) {
    lanes_.push_back(Lane{timeout, {}});
    lane = &lanes_.back();
  }
  lane->entries.push_back(entry);
  if (!armed_ || entry.idle_deadline < armed_at_) arm(entry.idle_deadline);
}

size_t IdleList::size() const {
  size_t n = 0;
  for (const Lane& lane : lanes_) n += lane.entries.size();
  return n;
}

void IdleList::arm(IdleEntry::Clock::time_point at) {
  armed_ = true;
  armed_at_ = at;
  timer_.expires_at(at);
  timer_.async_wait([this, at](boost::system::error_code ec) {
    if (ec || at != armed_at_) return;  // re-armed meanwhile, or going away
    armed_ = false;
    expire();
  });
}

void IdleList::expire() {
  const auto now = IdleEntry::Clock::now();
  bool any = false;
  IdleEntry::Clock::time_point next{};
  for (Lane& lane : lanes_) {
    while (!lane.entries.empty() && lane.entries.front().idle_deadline <= now) {
      IdleEntry& entry = lane.entries.front();
      lane.entries.pop_front();
      entry.idleExpired();
    }
    if (!lane.entries.empty() && (!any || lane.entries.front().idle_deadline < next)) {
      next = lane.entries.front().idle_deadline;
      any = true;
    }
  }
  if (any) arm(next);
}

}  // namespace gatehouse::dataplane
