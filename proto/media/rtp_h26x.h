// H.264 (RFC 6184) and H.265 (RFC 7798) access units as RTP packets, made once per access
// unit for every player of a stream: single NAL unit packets, and fragmentation units (FU-A,
// FU) for units longer than kMaxRtpPayload. Access unit delimiters (and NAL unit types the
// payload formats take for their own packets) are left out; the marker
// bit is set on the last packet of the access unit.
//
// The packets are laid out as RTSP interleaved frames (RFC 2326 §10.12: '$', channel 0,
// 16-bit length, packet) in one buffer, so TCP players get the bytes as they are and UDP
// players the same bytes without each 4-byte frame header.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/media/h26x.h"

namespace xl::rtp {

inline constexpr size_t kMaxRtpPayload = 1400;  // fits an Ethernet MTU with IP/UDP/RTP headers

// The per-stream state of a packer: the next sequence number and the stream's SSRC.
struct RtpStreamState {
  uint32_t ssrc = 0;
  uint16_t next_seq = 0;
  uint8_t payload_type = 96;
};

struct RtpAccessUnit {
  std::string interleaved;       // every packet, each after its 4-byte '$' frame header
  std::vector<uint32_t> starts;  // where each '$' header starts in `interleaved`
  uint16_t first_seq = 0;
  uint32_t timestamp = 0;
};

// Packs the Annex B access unit `annexb` with RTP timestamp `timestamp` (90 kHz), advancing
// `state.next_seq` by the packets made. `prefix` (parameter sets, Annex B; may be empty) is
// sent first, for keyframes that come without them.
// The SDP fmtp parameters of a stream with parameter sets `ps` (RFC 6184 §8.1:
// packetization-mode, profile-level-id, sprop-parameter-sets; RFC 7798 §7.1: sprop-vps/sps/pps).
// REQUIRES: ps.complete(codec).
std::string SdpFmtp(h26x::Codec codec, const h26x::ParameterSets& ps);

RtpAccessUnit PackAccessUnit(h26x::Codec codec, std::string_view annexb, std::string_view prefix, uint32_t timestamp,
                             RtpStreamState& state);

}  // namespace xl::rtp
