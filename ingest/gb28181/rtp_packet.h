// RTP (RFC 3550) as GB/T 28181 media uses it: a fixed 12-byte header, CSRCs, an optional
// header extension and padding around a payload of MPEG-PS bytes. Parsing checks every
// length against the bytes given and never reads past them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "xl/status.h"

namespace xl::gb28181 {

struct RtpPacket {
  uint8_t payload_type = 0;
  bool marker = false;        // last packet of a frame
  uint16_t seq = 0;
  uint32_t timestamp = 0;     // 90 kHz for video
  uint32_t ssrc = 0;
  std::string_view payload;   // points into the parsed bytes
};

// Error when the bytes are not an RTP version 2 packet or a length field points past them.
Result<RtpPacket> ParseRtp(std::string_view bytes);

// Appends a 12-byte RTP header (version 2, no CSRC, no extension) and `payload` to `out`.
void AppendRtp(std::string& out, const RtpPacket& packet);

// GB/T 28181 SSRC: 10 decimal digits, "0" (live) or "1" (playback), then the 5 digits of the
// platform's realm from position 4 (its 3rd to 8th digits), then a 4-digit serial.
// `serial` is taken modulo 10000.
std::string GbSsrc(const std::string& realm, uint32_t serial);

}  // namespace xl::gb28181
