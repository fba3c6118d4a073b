// libFuzzer target: the GB/T 28181 call state machine (ingest/gb28181/registrar.h) driven by
// arbitrary device behaviour, not only its parsers. Each input is a script of steps split by
// lines "---": 'M' + a SIP message from the device, 'S' + one from a stranger's address,
// 'T' (time passes: 400 ms per byte after the 'T'), 'I' (a call for channel byte 1 % 4,
// watched when byte 2 is odd), 'B' (hang up call byte 1), 'W' (toggle watching call byte 1).
// In messages "$CALL", "$TAG" and "$DEV" become the Call-ID and From tag of the last INVITE
// sent and the device's ID, so that answers reach real dialogs. Before the script, a device
// registers with its digest and reports 4 channels; the first byte sets its call limit.
//
// Whatever the device sends: no crash, every message we send parses as SIP, no device ever has
// more calls INVITEd or answered than its limit, and no call outlives its hang-up.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_script.h"

#include "ingest/gb28181/registrar.h"

using namespace xl::gb28181;

namespace {

const std::string kDevice = "34020000001320000001";

std::string Request(const std::string& method, long cseq, const std::string& extra, const std::string& body = "") {
  return method + " sip:34020000002000000001@3402000000 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bK" +
         std::to_string(cseq) + "\r\nFrom: <sip:" + kDevice + "@3402000000>;tag=t\r\nTo: <sip:" + kDevice +
         "@3402000000>\r\nCall-ID: reg\r\nCSeq: " + std::to_string(cseq) + " " + method + "\r\n" + extra +
         (body.empty() ? "" : "Content-Type: Application/MANSCDP+xml\r\n") +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct Harness {
  Registrar registrar;
  Peer device{"udp", "10.0.0.9", 5060, 0, "10.0.0.1:5060"};
  Peer stranger{"udp", "10.6.6.6", 5060, 0, "10.0.0.1:5060"};
  int64_t now = 1000;
  std::string last_call, last_tag;
  std::vector<std::string> calls;  // every call placed

  explicit Harness(GbConfig config) : registrar(std::move(config)) {}

  void Check(const Registrar::Output& out) {
    for (const auto& [peer, bytes] : out.sends) {
      auto m = SipMessage::Parse(bytes);
      if (!m.ok()) __builtin_trap();  // we sent something that is not SIP
      if (m->is_request() && m->method() == "INVITE") {
        last_call = m->call_id();
        last_tag = m->from_tag();
      }
    }
    auto d = registrar.devices().find(kDevice);
    if (d != registrar.devices().end() && registrar.ActiveCalls(kDevice) > d->second.max_calls) __builtin_trap();
  }
  Registrar::Output Feed(const std::string& bytes, const Peer& from) {
    auto m = SipMessage::Parse(bytes);
    if (!m.ok()) return {};
    auto out = registrar.OnMessage(*m, from, now);
    Check(out);
    return out;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  GbConfig config;
  config.enabled = true;
  config.password = "pw";
  config.max_calls = 1 + data[0] % 4;
  Harness h(config);
  // Register with the right digest, then a catalog of 4 channels.
  auto challenge = SipMessage::Parse(h.Feed(Request("REGISTER", 1, "Expires: 3600\r\n"), h.device).sends.at(0).second);
  DigestCredentials c = *challenge->www_authenticate();
  c.username = kDevice;
  c.uri = "sip:34020000002000000001@3402000000";
  c.response = DigestResponse(c, "pw", "REGISTER");
  h.Feed(Request("REGISTER", 2,
                 "Expires: 3600\r\nAuthorization: Digest username=\"" + kDevice + "\",realm=\"" + c.realm +
                     "\",nonce=\"" + c.nonce + "\",uri=\"" + c.uri + "\",response=\"" + c.response + "\"\r\n"),
         h.device);
  Manscdp catalog;
  catalog.root = "Response";
  catalog.cmd_type = "Catalog";
  catalog.sn = h.registrar.devices().at(kDevice).catalog_sn;
  catalog.device_id = kDevice;
  catalog.sum_num = 4;
  for (int i = 1; i <= 4; ++i) {
    CatalogItem item;
    item.device_id = "3402000000131000000" + std::to_string(i);
    catalog.items.push_back(item);
  }
  h.Feed(Request("MESSAGE", 3, "", BuildManscdp(catalog)), h.device);
  if (!h.registrar.devices().at(kDevice).catalog_complete) __builtin_trap();

  const std::string script(reinterpret_cast<const char*>(data) + 1, size - 1);
  xl::fuzz::ForEachStep(script, [&](const xl::fuzz::Step& step) {
    const std::string& rest = step.rest;
    const auto byte = [&](size_t i) { return step.byte(i); };
    switch (step.kind) {
      case 'M':
      case 'S': {
        const std::string text = xl::fuzz::Replace(
            xl::fuzz::Replace(xl::fuzz::Replace(rest, "$CALL", h.last_call), "$TAG", h.last_tag), "$DEV", kDevice);
        h.Feed(text, step.kind == 'M' ? h.device : h.stranger);
        break;
      }
      case 'T':
        h.now += 400 * int64_t(rest.size() + 1);
        h.Check(h.registrar.Tick(h.now));
        break;
      case 'I': {
        std::string id;
        const CallRequest r{kDevice,    "3402000000131000000" + std::to_string(1 + byte(0) % 4),
                            "10.0.0.1", 30000 + 2 * int(h.calls.size() % 1000),
                            "udp",      GbSsrc("3402000000", uint32_t(h.calls.size()))};
        auto out = h.registrar.Invite(r, h.now, &id, byte(1) % 2);
        if (out.ok()) {
          h.calls.push_back(id);
          h.Check(*out);
        }
        break;
      }
      case 'B':
        if (!h.calls.empty()) {
          const std::string id = h.calls[byte(0) % h.calls.size()];
          h.Check(h.registrar.Bye(id, h.now));
          if (h.registrar.Waiting(id)) __builtin_trap();  // hung up, yet still waiting
        }
        break;
      case 'W':
        if (!h.calls.empty()) h.Check(h.registrar.SetWatched(h.calls[byte(0) % h.calls.size()], byte(1) % 2, h.now));
        break;
      default:
        break;
    }
  });
  if (h.registrar.calls() > h.calls.size()) __builtin_trap();
  return 0;
}
