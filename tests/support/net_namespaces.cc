#include "tests/support/net_namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <thread>

#include "tests/support/process.h"

namespace xl::test {

namespace {
constexpr const char* kIp = "/usr/sbin/ip";
constexpr const char* kTc = "/usr/sbin/tc";

// Runs a command to its end; error with its output unless it exits 0.
Result<std::string> Command(const std::vector<std::string>& argv) {
  Process p(argv, TempDir("net-namespaces-cmd") + "/cmd.log");  // a fresh folder each time
  const int code = p.Wait(std::chrono::seconds(30));
  if (code != 0) {
    std::string line;
    for (const std::string& a : argv) line += a + " ";
    return Error{line + "failed (" + std::to_string(code) + "): " + p.Output()};
  }
  return p.Output();
}

int64_t TxBytes(const std::string& ns, const std::string& dev) {
  auto out = Command({kIp, "-n", ns, "-j", "-s", "link", "show", "dev", dev});
  if (!out.ok()) return -1;
  const auto j = nlohmann::json::parse(*out, nullptr, false);
  if (!j.is_array() || j.empty()) return -1;
  return j[0].value("/stats64/tx/bytes"_json_pointer, int64_t(-1));
}
}  // namespace

Result<std::unique_ptr<NetNamespace>> NetNamespace::Create(const std::string& name) {
  if (::geteuid() != 0) return Error{"network namespaces need root"};
  if (::access(kIp, X_OK) != 0 || ::access(kTc, X_OK) != 0) return Error{"iproute2 (ip, tc) is not installed"};
  (void)Command({kIp, "netns", "del", name});
  if (auto made = Command({kIp, "netns", "add", name}); !made.ok()) return made.error();
  std::unique_ptr<NetNamespace> ns(new NetNamespace(name));
  if (auto up = Command({kIp, "-n", name, "link", "set", "lo", "up"}); !up.ok()) return up.error();
  return ns;
}

NetNamespace::~NetNamespace() { (void)Command({kIp, "netns", "del", name_}); }

std::vector<std::string> NetNamespace::Wrap(const std::vector<std::string>& argv) const {
  std::vector<std::string> out = {kIp, "netns", "exec", name_};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void NetNamespace::Run(const std::function<void()>& fn) const {
  std::thread t([&] {
    const int fd = ::open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      (void)::setns(fd, CLONE_NEWNET);
      ::close(fd);
    }
    fn();
  });
  t.join();
}

Result<std::unique_ptr<VethLink>> VethLink::Create(const NetNamespace& a, const std::string& a_if,
                                                   const std::string& a_ip, const NetNamespace& b,
                                                   const std::string& b_if, const std::string& b_ip, int kbit) {
  const std::string rate = std::to_string(kbit) + "kbit";
  const std::vector<std::vector<std::string>> steps = {
      {kIp, "link", "add", a_if, "netns", a.name(), "type", "veth", "peer", "name", b_if, "netns", b.name()},
      {kIp, "-n", a.name(), "addr", "add", a_ip + "/24", "dev", a_if},
      {kIp, "-n", b.name(), "addr", "add", b_ip + "/24", "dev", b_if},
      {kIp, "-n", a.name(), "link", "set", a_if, "up"},
      {kIp, "-n", b.name(), "link", "set", b_if, "up"},
      {kTc, "-n", a.name(), "qdisc", "add", "dev", a_if, "root", "tbf", "rate", rate, "burst", "128kbit", "latency",
       "400ms"},
      {kTc, "-n", b.name(), "qdisc", "add", "dev", b_if, "root", "tbf", "rate", rate, "burst", "128kbit", "latency",
       "400ms"},
  };
  for (const auto& step : steps) {
    if (auto done = Command(step); !done.ok()) return done.error();
  }
  return std::unique_ptr<VethLink>(new VethLink(a, a_if, b, b_if));
}

Status VethLink::SetUp(bool up) {
  for (const auto& [ns, dev] : {std::pair{&a_, a_if_}, std::pair{&b_, b_if_}}) {
    if (auto done = Command({kIp, "-n", ns->name(), "link", "set", dev, up ? "up" : "down"}); !done.ok()) {
      return done.error();
    }
  }
  return Status();
}

int64_t VethLink::BytesFromA() const { return TxBytes(a_.name(), a_if_); }
int64_t VethLink::BytesFromB() const { return TxBytes(b_.name(), b_if_); }

}  // namespace xl::test
