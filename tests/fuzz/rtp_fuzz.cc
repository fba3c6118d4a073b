// libFuzzer target: RTP packets from the network (GB/T 28181 media). Any bytes parse to a
// packet whose payload lies inside them, or to a clear error; a parsed packet written back
// parses to the same fields and payload.
#include <cstddef>
#include <cstdint>
#include <string>

#include "proto/media/rtp_packet.h"

using xl::rtp::ParseRtp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto p = ParseRtp(bytes);
  if (!p.ok()) {
    if (p.error().message.empty()) __builtin_trap();
    return 0;
  }
  const auto& packet = p.value();
  if (packet.payload.data() < bytes.data() || packet.payload.data() + packet.payload.size() > bytes.data() + size) {
    __builtin_trap();  // the payload must lie inside the packet
  }
  std::string again;
  xl::rtp::AppendRtp(again, packet);
  auto back = ParseRtp(again);
  if (!back.ok() || back->ssrc != packet.ssrc || back->seq != packet.seq || back->timestamp != packet.timestamp ||
      back->marker != packet.marker || back->payload_type != packet.payload_type || back->payload != packet.payload) {
    __builtin_trap();
  }
  return 0;
}
