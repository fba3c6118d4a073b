// libFuzzer target: SDP bodies of INVITE answers (GB/T 28181 live video and recordings), and
// MANSRTSP bodies of INFO (playback control). Any bytes give a usable description or a clear
// error; what is accepted is within range, and written back parses to the same.
#include <cstddef>
#include <cstdint>
#include <string>

#include "proto/gb28181/mansrtsp.h"
#include "proto/gb28181/sdp.h"

using xl::gb28181::BuildSdp;
using xl::gb28181::ParseSdp;

namespace {

void CheckMansRtsp(std::string_view text) {
  auto m = xl::gb28181::ParseMansRtsp(text);
  if (!m.ok()) {
    if (m.error().message.empty()) __builtin_trap();
    return;
  }
  if (m->method != "PLAY" && m->method != "PAUSE" && m->method != "TEARDOWN") __builtin_trap();
  auto back = xl::gb28181::ParseMansRtsp(xl::gb28181::BuildMansRtsp(m.value()));
  if (!back.ok() || back->method != m->method || back->cseq != m->cseq) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckMansRtsp(std::string_view(reinterpret_cast<const char*>(data), size));
  auto m = ParseSdp(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!m.ok()) {
    if (m.error().message.empty()) __builtin_trap();
    return 0;
  }
  const auto& d = m.value();
  if (d.port < 1 || d.port > 65535 || (d.transport != "udp" && d.transport != "tcp") || d.ip.empty()) __builtin_trap();
  if (!d.ssrc.empty() && d.ssrc.size() != 10) __builtin_trap();
  if (d.start_s < 0 || d.end_s < 0 || d.download_speed < 0 || d.download_speed > 1000) __builtin_trap();
  // Written back as the platform would (fields SDP can carry on one line each).
  if (d.ip.find_first_of(" \r\n") == std::string::npos && d.owner.find_first_of(" \r\n") == std::string::npos &&
      !d.owner.empty() && d.session.find_first_of("\r\n") == std::string::npos && !d.direction.empty() &&
      d.setup.find_first_of("\r\n") == std::string::npos) {
    auto back = ParseSdp(BuildSdp(d));
    if (!back.ok() || back->port != d.port || back->transport != d.transport || back->ssrc != d.ssrc ||
        back->ip != d.ip) {
      __builtin_trap();
    }
  }
  return 0;
}
