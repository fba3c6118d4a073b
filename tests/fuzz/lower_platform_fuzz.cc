// libFuzzer target: the router as a GB/T 28181 lower platform (router/gb_upward/
// lower_platform.h) driven by whatever an upper platform may send. Each input is a script of
// steps split by lines "---": 'M' + a SIP message from the upper ("$UP" and "$US" become its
// SIP ID and ours), 'T' (time passes: 500 ms per byte after the 'T'), 'A' (answer the oldest
// INVITE waiting for media), 'R' (refuse it), 'H' (hang up call byte 1), 'L' (an alert of camera
// byte 1 % 3), 'C' (the catalog becomes the first byte 1 % 4 + 1 cameras). Before the script it
// registers (the upper challenges it, then takes the digest) with three cameras; the first byte
// sets its call limit.
//
// Whatever the upper sends: no crash, every message we send parses as SIP, never more calls
// than the limit, and no call answered twice.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "fuzz_script.h"

#include "router/gb_upward/lower_platform.h"
#include "router/gb_upward/upper_catalog.h"

using namespace xl::router;
using xl::gb28181::SipMessage;

namespace {

const std::string kUpper = "34020000002000000001", kUs = "33010200002000000009";

std::vector<xl::wire::Camera> Cameras(int n) {
  std::vector<xl::wire::Camera> out;
  for (int i = 0; i < n; ++i) {
    xl::wire::Camera c;
    c.set_id("3301020100131000000" + std::to_string(i + 1));
    c.set_name("camera " + std::to_string(i));
    c.set_region(i % 2 ? "3301020100" : "33010202");
    c.set_state(i == 2 ? xl::wire::CAMERA_STATE_OFFLINE : xl::wire::CAMERA_STATE_ONLINE);
    c.set_ptz(i == 0);
    out.push_back(c);
  }
  return out;
}

struct Harness {
  LowerPlatform lower;
  int64_t now = 1000;
  std::deque<std::string> waiting;  // INVITEs whose media is to be opened
  std::set<std::string> answered;
  std::vector<std::string> calls;

  explicit Harness(GbUpperConfig c) : lower(std::move(c), "10.0.0.9:5070") {}

  void Check(LowerPlatform::Output out) {
    for (const std::string& bytes : out.sends) {
      if (!SipMessage::Parse(bytes).ok()) {  // we sent something that is not SIP
        fprintf(stderr, "UNPARSEABLE: %s\n", bytes.c_str());
        __builtin_trap();
      }
    }
    for (const MediaOrder& o : out.invites) {
      waiting.push_back(o.call_id);
      calls.push_back(o.call_id);
    }
    if (lower.calls() > size_t(lower.config().max_calls)) __builtin_trap();
  }
  // Feeds a message from the upper; what we sent back.
  std::vector<std::string> Feed(const std::string& bytes) {
    auto m = SipMessage::Parse(bytes);
    if (!m.ok()) return {};
    LowerPlatform::Output out = lower.OnMessage(*m, now, 1'800'000'000'000);
    std::vector<std::string> sent = out.sends;
    Check(std::move(out));
    return sent;
  }
  // A response from the upper to the last REGISTER we sent.
  std::string Answer(const std::string& reg, int code, const std::string& extra) {
    auto r = SipMessage::Parse(reg);
    if (!r.ok()) __builtin_trap();
    SipMessage a = SipMessage::ResponseTo(*r, code, code == 200 ? "OK" : "Unauthorized");
    if (!extra.empty()) a.SetHeader("WWW-Authenticate", extra);
    return a.ToString();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  GbUpperConfig c;
  c.platform_id = kUs;
  c.upper_id = kUpper;
  c.upper_domain = "3402000000";
  c.upper_host = "10.0.0.1";
  c.password = "pw";
  c.catalog_page = 2;
  c.max_calls = 1 + data[0] % 4;
  Harness h(c);
  h.lower.SetCatalog(UpperCatalog(kUs, "town", Cameras(3), {}), h.now);
  LowerPlatform::Output first = h.lower.Tick(h.now);
  if (first.sends.empty()) __builtin_trap();
  const std::vector<std::string> with_digest =
      h.Feed(h.Answer(first.sends[0], 401, "Digest realm=\"3402000000\",nonce=\"abc\",algorithm=MD5"));
  if (with_digest.empty()) __builtin_trap();
  h.Feed(h.Answer(with_digest[0], 200, ""));
  if (h.lower.state() != LowerPlatform::State::kRegistered) __builtin_trap();

  const std::string script(reinterpret_cast<const char*>(data) + 1, size - 1);
  xl::fuzz::ForEachStep(script, [&](const xl::fuzz::Step& step) {
    const std::string& rest = step.rest;
    const auto byte = [&](size_t i) { return step.byte(i); };
    switch (step.kind) {
      case 'M':
        h.Feed(xl::fuzz::Replace(xl::fuzz::Replace(rest, "$UP", kUpper), "$US", kUs));
        break;
      case 'T':
        h.now += 500 * int64_t(rest.size() + 1);
        h.Check(h.lower.Tick(h.now));
        break;
      case 'A':
        if (!h.waiting.empty()) {
          const std::string id = h.waiting.front();
          h.waiting.pop_front();
          xl::gb28181::MediaDescription ours;
          ours.ip = "10.0.0.9";
          ours.port = 40000;
          LowerPlatform::Output out = h.lower.Answer(id, ours, h.now);
          if (!out.sends.empty() && !h.answered.insert(id).second) __builtin_trap();  // answered twice
          h.Check(std::move(out));
        }
        break;
      case 'R':
        if (!h.waiting.empty()) {
          h.Check(h.lower.Reject(h.waiting.front(), 486, "Busy Here", "fuzz"));
          h.waiting.pop_front();
        }
        break;
      case 'H':
        if (!h.calls.empty()) h.Check(h.lower.HangUp(h.calls[byte(0) % h.calls.size()], "fuzz"));
        break;
      case 'L': {
        xl::wire::Alert a;
        a.set_camera_id("3301020100131000000" + std::to_string(1 + byte(0) % 3));
        a.set_kind(xl::wire::AlertKind(byte(1) % 9));
        a.set_phase(xl::wire::ALERT_PHASE_START);
        h.Check(h.lower.Alarm(a, h.now, 1'800'000'000'000));
        break;
      }
      case 'C':
        h.Check(h.lower.SetCatalog(UpperCatalog(kUs, "town", Cameras(1 + byte(0) % 4), {}), h.now));
        break;
      default:
        break;
    }
  });
  return 0;
}
