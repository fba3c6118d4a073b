#include "proto/media/rtp_packet.h"

#include <cstdio>

namespace xl::rtp {

Result<RtpPacket> ParseRtp(std::string_view b) {
  auto u8 = [&](size_t i) { return uint8_t(b[i]); };
  if (b.size() < 12) return Error{"RTP packet shorter than its 12-byte header"};
  if ((u8(0) >> 6) != 2) return Error{"not RTP version 2"};
  const bool padding = u8(0) & 0x20, extension = u8(0) & 0x10;
  const size_t csrcs = u8(0) & 0x0f;
  RtpPacket p;
  p.marker = u8(1) & 0x80;
  p.payload_type = u8(1) & 0x7f;
  p.seq = uint16_t(u8(2) << 8 | u8(3));
  p.timestamp = uint32_t(u8(4)) << 24 | uint32_t(u8(5)) << 16 | uint32_t(u8(6)) << 8 | u8(7);
  p.ssrc = uint32_t(u8(8)) << 24 | uint32_t(u8(9)) << 16 | uint32_t(u8(10)) << 8 | u8(11);
  size_t start = 12 + 4 * csrcs;
  if (start > b.size()) return Error{"RTP CSRC list runs past the packet"};
  if (extension) {
    if (start + 4 > b.size()) return Error{"RTP header extension runs past the packet"};
    const size_t words = size_t(u8(start + 2)) << 8 | u8(start + 3);
    start += 4 + 4 * words;
    if (start > b.size()) return Error{"RTP header extension runs past the packet"};
  }
  size_t end = b.size();
  if (padding) {
    const size_t pad = u8(b.size() - 1);
    if (pad == 0 || pad > end - start) return Error{"RTP padding length is wrong"};
    end -= pad;
  }
  p.payload = b.substr(start, end - start);
  return p;
}

void AppendRtp(std::string& out, const RtpPacket& p) {
  const uint8_t h[12] = {0x80,
                         uint8_t((p.marker ? 0x80 : 0) | (p.payload_type & 0x7f)),
                         uint8_t(p.seq >> 8),
                         uint8_t(p.seq),
                         uint8_t(p.timestamp >> 24),
                         uint8_t(p.timestamp >> 16),
                         uint8_t(p.timestamp >> 8),
                         uint8_t(p.timestamp),
                         uint8_t(p.ssrc >> 24),
                         uint8_t(p.ssrc >> 16),
                         uint8_t(p.ssrc >> 8),
                         uint8_t(p.ssrc)};
  out.append(reinterpret_cast<const char*>(h), sizeof h);
  out.append(p.payload);
}

}  // namespace xl::rtp
