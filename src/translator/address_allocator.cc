#include "translator/address_allocator.h"

#include <arpa/inet.h>

namespace gatehouse::translator {

AddressAllocator::AddressAllocator(const std::string& pool_cidr) {
  auto slash = pool_cidr.find('/');
  in_addr a{};
  if (slash == std::string::npos || inet_pton(AF_INET, pool_cidr.substr(0, slash).c_str(), &a) != 1) return;
  int bits = std::stoi(pool_cidr.substr(slash + 1));
  if (bits < 8 || bits > 32) return;
  uint32_t base = ntohl(a.s_addr) & (bits == 32 ? 0xffffffffu : ~((1u << (32 - bits)) - 1));
  uint32_t size = bits == 32 ? 1 : (1u << (32 - bits));
  first_ = size > 2 ? base + 1 : base;  // skip the network address of real subnets
  last_ = size > 2 ? base + size - 2 : base + size - 1;
  valid_ = true;
}

bool AddressAllocator::inPool(const std::string& ip) const {
  in_addr a{};
  if (!valid_ || inet_pton(AF_INET, ip.c_str(), &a) != 1) return false;
  uint32_t v = ntohl(a.s_addr);
  return v >= first_ && v <= last_;
}

std::optional<std::string> AddressAllocator::lowestFree(const std::set<std::string>& taken, uint64_t& from) const {
  if (!valid_) return std::nullopt;
  for (uint64_t& v = from; v <= last_; ++v) {
    in_addr a{htonl(static_cast<uint32_t>(v))};
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    if (!taken.count(buf)) return std::string(buf);
  }
  return std::nullopt;
}

std::map<std::string, std::string> AddressAllocator::assign(const std::vector<Request>& requests) {
  std::map<std::string, std::string> out;
  std::set<std::string> taken;
  std::vector<const Request*> need_pool;
  for (const auto& r : requests) {
    if (!r.explicit_address.empty()) {
      out[r.gateway] = r.explicit_address;
      taken.insert(r.explicit_address);
    } else {
      need_pool.push_back(&r);
    }
  }
  // Keep what each Gateway had, then hand out the lowest free ones.
  for (const auto* r : need_pool) {
    auto it = assignments_.find(r->gateway);
    if (it != assignments_.end() && !taken.count(it->second) && inPool(it->second)) {
      out[r->gateway] = it->second;
      taken.insert(it->second);
    }
  }
  std::map<std::string, std::string> kept;
  uint64_t from = first_;  // below it all are taken: one pass over the pool, not one per Gateway
  for (const auto* r : need_pool) {
    auto& address = out[r->gateway];
    if (address.empty())
      if (auto next = lowestFree(taken, from)) {
        address = *next;
        taken.insert(*next);
      }
    if (!address.empty()) kept[r->gateway] = address;
  }
  assignments_ = std::move(kept);
  return out;
}

}  // namespace gatehouse::translator
