// Joins pictures that a sender split with parameter sets. Some senders (GStreamer 1.22's RTP
// payloaders with config-interval=-1 among them) put SPS/PPS before *every* slice of a
// keyframe. A parameter set, AUD or SEI starts a new access unit, so every parser and player
// downstream takes the picture as two half pictures (a grey or green half on the wall, smear
// until the next keyframe). RTSP cameras are repaired on RTP, before the depayloader cuts the
// access unit (IsMidPictureParameterSetPacket); GB28181 cameras on the demuxed byte-stream,
// before the parser (JoinSplitPicture).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xl::h26x {

// `bytes`: H.264 (or with `h265`, H.265) byte-stream with start codes, any alignment.
// Returns it without the non-VCL NAL units that stand between a slice and a later slice of
// the same picture (first_mb_in_slice > 0; H.265: not the first slice segment); nullopt when
// there are none, which is the usual case (nothing is copied then).
std::optional<std::string> JoinSplitPicture(bool h265, std::string_view bytes);

// The same repair on RTP, before the depayloader (which would cut the access unit there):
// true for a packet that carries only parameter sets (or an AUD) with the timestamp of a
// picture whose slices have already come — drop it. `payload`: the RTP payload (RFC 6184 /
// RFC 7798). Keeps its state (the last slice's timestamp) in `state`, one per stream.
struct RtpPictureState {
  bool seen_slice = false;
  uint32_t slice_timestamp = 0;
};
bool IsMidPictureParameterSetPacket(bool h265, uint32_t timestamp, std::string_view payload, RtpPictureState& state);

}  // namespace xl::h26x
