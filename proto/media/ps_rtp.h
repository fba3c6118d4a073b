// MPEG-PS packs as RTP packets, as GB/T 28181 sends live video (§C.2): payload type 96 on a
// 90 kHz clock, a pack split into payloads of at most kMaxPayload bytes, the marker on its
// last packet; on TCP each packet follows its 2-byte length (RFC 4571).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace xl::rtp {

class PsRtpPacketizer {
 public:
  static constexpr size_t kMaxPayload = 1400;  // fits a 1500-byte MTU with IP, UDP and RTP headers

  explicit PsRtpPacketizer(uint32_t ssrc, uint16_t first_seq = 0) : ssrc_(ssrc), seq_(first_seq) {}

  // Calls `emit` with each RTP packet of `pack` (timestamp `timestamp`), in order; sequence
  // numbers go on from the last pack's.
  void Packetize(std::string_view pack, uint32_t timestamp, const std::function<void(std::string&& packet)>& emit);
  uint64_t packets() const { return packets_; }
  uint32_t ssrc() const { return ssrc_; }

 private:
  uint32_t ssrc_;
  uint16_t seq_;
  uint64_t packets_ = 0;
};

// `packet` framed for a stream transport (RFC 4571): its length in 2 bytes, big-endian, then
// the packet. Requires: at most 65535 bytes.
std::string Rfc4571Frame(std::string_view packet);

}  // namespace xl::rtp
