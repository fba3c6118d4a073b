// libFuzzer target: RTP packets from the network (GB/T 28181 media). Any bytes parse to a
// packet whose payload lies inside them, or to a clear error; a parsed packet written back
// parses to the same fields and payload. And the same bytes as an H.264/H.265 access unit
// packetised for RTSP players (proto/media/rtp_h26x.h): whole interleaved frames, each an RTP
// packet within the size limit, whose payloads give back every NAL unit but delimiters.
#include <cstddef>
#include <cstdint>
#include <string>

#include "proto/media/rtp_h26x.h"
#include "proto/media/rtp_packet.h"

using xl::rtp::ParseRtp;

namespace {
void CheckPacking(std::string_view annexb, xl::h26x::Codec codec) {
  xl::rtp::RtpStreamState state;
  state.next_seq = 65530;  // wraps
  const auto au = xl::rtp::PackAccessUnit(codec, annexb, {}, 1234, state);
  const std::string& b = au.interleaved;
  std::string nals;  // the units as the packets give them back, each after a start code
  size_t at = 0, index = 0;
  uint16_t seq = au.first_seq;
  while (at < b.size()) {
    if (index >= au.starts.size() || au.starts[index] != at || b.size() - at < 4 || b[at] != '$') __builtin_trap();
    const size_t length = size_t(uint8_t(b[at + 2])) << 8 | uint8_t(b[at + 3]);
    if (length > 12 + xl::rtp::kMaxRtpPayload || b.size() - at - 4 < length) __builtin_trap();
    auto p = ParseRtp(std::string_view(b).substr(at + 4, length));
    if (!p.ok() || p->seq != seq++ || p->timestamp != 1234 || p->marker != (at + 4 + length == b.size())) {
      __builtin_trap();
    }
    const std::string_view payload = p->payload;
    const size_t header = codec == xl::h26x::Codec::kH264 ? 1 : 2;
    const int type = xl::h26x::NalTypeOf(codec, uint8_t(payload[0]));
    const bool fu = codec == xl::h26x::Codec::kH264 ? type == 28 : type == 49;
    if (!fu) {
      nals += std::string("\0\0\0\1", 4) + std::string(payload);
    } else {
      const uint8_t bits = uint8_t(payload[header]);
      if (bits & 0x80) {  // start: the unit's own header again
        nals += std::string("\0\0\0\1", 4);
        if (codec == xl::h26x::Codec::kH264) {
          nals += char((uint8_t(payload[0]) & 0xE0) | (bits & 0x1F));
        } else {
          nals += char((uint8_t(payload[0]) & 0x81) | ((bits & 0x3F) << 1));
          nals += payload[1];
        }
      }
      nals += std::string(payload.substr(header + 1));
    }
    at += 4 + length;
    ++index;
  }
  if (index != au.starts.size() || state.next_seq != seq) __builtin_trap();
  std::string expected;
  const int aud = codec == xl::h26x::Codec::kH264 ? 9 : 35;
  for (std::string_view n : xl::h26x::SplitAnnexB(annexb)) {
    const int type = n.size() > (codec == xl::h26x::Codec::kH264 ? 1u : 2u) ? xl::h26x::NalType(codec, n) : -1;
    if (type >= 0 && type != aud && type < (codec == xl::h26x::Codec::kH264 ? 24 : 48)) {
      expected += std::string("\0\0\0\1", 4) + std::string(n);
    }
  }
  if (nals != expected) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckPacking(bytes, xl::h26x::Codec::kH264);
  CheckPacking(bytes, xl::h26x::Codec::kH265);
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
