// RTP (RFC 3550) as GB/T 28181 media (and the relay) use it: a fixed 12-byte header, CSRCs, an optional
// header extension and padding around a payload of MPEG-PS bytes. Parsing checks every
// length against the bytes given and never reads past them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace xl::rtp {

struct RtpPacket {
  uint8_t payload_type = 0;
  bool marker = false;  // last packet of a frame
  uint16_t seq = 0;
  uint32_t timestamp = 0;  // 90 kHz for video
  uint32_t ssrc = 0;
  std::string_view payload;  // points into the parsed bytes
};

// Error when the bytes are not an RTP version 2 packet or a length field points past them.
Result<RtpPacket> ParseRtp(std::string_view bytes);

// Appends a 12-byte RTP header (version 2, no CSRC, no extension) and `payload` to `out`.
void AppendRtp(std::string& out, const RtpPacket& packet);

}  // namespace xl::rtp
