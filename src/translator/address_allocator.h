#pragma once
// Pool addresses for Gateways that ask for none: a stable allocator the translator asks once per
// Gateway build. Who holds which address is the only state about addresses that lives across
// translations, and it lives here, not in the translator's compiled state. Addresses the data
// plane cannot bind are the controller's business (controller/unusable_addresses.h).
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gatehouse::translator {

class AddressAllocator {
 public:
  explicit AddressAllocator(const std::string& pool_cidr);  // IPv4 CIDR; an invalid one hands out nothing

  struct Request {
    std::string gateway;   // "namespace/name"
    std::string explicit_address;  // spec.addresses value; "" asks for a pool address
  };
  // Addresses for one set of Gateways: explicit addresses are taken as given (and are not
  // handed out); a Gateway keeps the pool address it held as long as it is free; the others get
  // the lowest free ones. Gateway -> address, "" when the pool is exhausted. Forgets the
  // assignments of Gateways not in `requests`.
  std::map<std::string, std::string> assign(const std::vector<Request>& requests);

  // "namespace/name" of a Gateway -> its pool address.
  const std::map<std::string, std::string>& assignments() const { return assignments_; }
  void setAssignments(std::map<std::string, std::string> assignments) { assignments_ = std::move(assignments); }

 private:
  bool inPool(const std::string& ip) const;
  // The lowest address not taken, from `from` on; advances `from` to it.
  std::optional<std::string> lowestFree(const std::set<std::string>& taken, uint64_t& from) const;

  bool valid_ = false;
  uint32_t first_ = 0, last_ = 0;
  std::map<std::string, std::string> assignments_;
};

}  // namespace gatehouse::translator
