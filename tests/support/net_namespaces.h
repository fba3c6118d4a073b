// Hosts and links for multi-host end-to-end tests: network namespaces the test creates, and
// veth pairs between them shaped with tc's token bucket (tbf), cut and restored at will.
// Needs root (CAP_NET_ADMIN) and iproute2; Create says why when it cannot.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace xl::test {

class NetNamespace {
 public:
  // A new namespace `name` (a stale one of that name is deleted first) with its loopback up.
  static Result<std::unique_ptr<NetNamespace>> Create(const std::string& name);
  ~NetNamespace();  // deletes it; stop the processes in it first
  NetNamespace(const NetNamespace&) = delete;
  NetNamespace& operator=(const NetNamespace&) = delete;

  const std::string& name() const { return name_; }
  // `argv` as run inside the namespace (ip netns exec: the same process, so its pid is argv's).
  std::vector<std::string> Wrap(const std::vector<std::string>& argv) const;
  // Runs `fn` on a thread joined to the namespace: the sockets it makes belong to it.
  void Run(const std::function<void()>& fn) const;

 private:
  explicit NetNamespace(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// A veth pair: end `a_if` in namespace a with address a_ip/24, end `b_if` in b with b_ip/24,
// each end's egress shaped to `kbit` kbit/s.
class VethLink {
 public:
  static Result<std::unique_ptr<VethLink>> Create(const NetNamespace& a, const std::string& a_if,
                                                  const std::string& a_ip, const NetNamespace& b,
                                                  const std::string& b_if, const std::string& b_ip, int kbit);
  // Cuts the link (both ends down) or restores it.
  Status SetUp(bool up);
  // Bytes sent so far from end a (towards b), and from b (towards a); -1 when unreadable.
  int64_t BytesFromA() const;
  int64_t BytesFromB() const;

 private:
  VethLink(const NetNamespace& a, std::string a_if, const NetNamespace& b, std::string b_if)
      : a_(a), b_(b), a_if_(std::move(a_if)), b_if_(std::move(b_if)) {}
  const NetNamespace& a_;
  const NetNamespace& b_;
  std::string a_if_, b_if_;
};

}  // namespace xl::test
