// The SDP of a GB/T 28181 live-video call (§9.2 and Annex G): one video stream of MPEG-PS
// over RTP (payload type 96, PS/90000), over UDP or over TCP (RFC 4571), with the stream's
// SSRC in the GB-specific "y=" line. Parsed with GStreamer's SDP library; "y=" (which it
// does not know) is read from the text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace xl::gb28181 {

struct MediaDescription {
  std::string owner;              // o= user: the channel ID (sender) or the platform ID (receiver)
  std::string session;            // s=: "Play" for live video
  std::string ip;                 // c=
  int port = 0;                   // m=video <port>
  std::string transport = "udp";  // "udp" (RTP/AVP) or "tcp" (TCP/RTP/AVP)
  std::string setup;              // tcp: "passive" (waits for the connection) or "active" (connects)
  std::string direction;          // "recvonly" (the platform's offer) or "sendonly" (the answer)
  std::string ssrc;               // y=: 10 digits (read: 1 to 10, a 32-bit value, padded to 10)
};

// The SDP text of `m`.
std::string BuildSdp(const MediaDescription& m);

// Error when the text is not SDP or has no usable video stream (no c=, no m=video with a
// port, a transport other than RTP/AVP or TCP/RTP/AVP, a y= that is not 10 digits).
Result<MediaDescription> ParseSdp(std::string_view text);

// GB/T 28181 SSRC: 10 decimal digits, "0" (live) or "1" (playback), then the 5 digits of the
// platform's realm from position 4 (its 3rd to 8th digits), then a 4-digit serial.
// `serial` is taken modulo 10000.
std::string GbSsrc(const std::string& realm, uint32_t serial);

}  // namespace xl::gb28181
