// The SDP of a GB/T 28181 media call (§9.2, §9.8, §9.9 and Annex G): one video stream of
// MPEG-PS over RTP (payload type 96, PS/90000), over UDP or over TCP (RFC 4571), with the
// stream's SSRC in the GB-specific "y=" line. Live video is "s=Play" with "t=0 0"; a
// device's recording is "s=Playback" (played at the pace MANSRTSP sets) or "s=Download"
// (sent at "a=downloadspeed" times real time), with "u=<channel>:0" and "t=<start> <end>"
// in Unix seconds. Parsed with GStreamer's SDP library; "y=" (which it does not know) is
// read from the text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace xl::gb28181 {

struct MediaDescription {
  std::string owner;               // o= user: the channel ID (sender) or the platform ID (receiver)
  std::string session;             // s=: "Play" (live), "Playback" or "Download"
  std::string ip;                  // c=
  int port = 0;                    // m=video <port>
  std::string transport = "udp";   // "udp" (RTP/AVP) or "tcp" (TCP/RTP/AVP)
  std::string setup;               // tcp: "passive" (waits for the connection) or "active" (connects)
  std::string direction;           // "recvonly" (the platform's offer) or "sendonly" (the answer)
  std::string ssrc;                // y=: 10 digits (read: 1 to 10, a 32-bit value, padded to 10)
  std::string uri;                 // u=: "<channel>:0" for Playback and Download
  int64_t start_s = 0, end_s = 0;  // t=: the recording's range, Unix seconds (0 0 live). Read
                                   // liberally: NTP seconds (RFC 4566's own) are converted.
  int download_speed = 0;          // a=downloadspeed: Download's pace, times real time (0: not said)
  int64_t file_size = -1;          // a=filesize: bytes a device says a Download will send
};

// The SDP text of `m`.
std::string BuildSdp(const MediaDescription& m);

// Error when the text is not SDP or has no usable video stream (no c=, no m=video with a
// port, a transport other than RTP/AVP or TCP/RTP/AVP, a y= that is not 10 digits).
Result<MediaDescription> ParseSdp(std::string_view text);

// GB/T 28181 SSRC: 10 decimal digits, "0" (live) or "1" (`history`: playback, download),
// then the 5 digits of the platform's realm from position 4 (its 3rd to 8th digits), then a
// 4-digit serial. `serial` is taken modulo 10000.
std::string GbSsrc(const std::string& realm, uint32_t serial, bool history = false);

}  // namespace xl::gb28181
