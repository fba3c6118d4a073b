// Reading an MPEG-2 Program Stream (ISO/IEC 13818-1 §2.5) as a receiver joins it: a demuxer
// learns the codec of stream 0xE0 only from a program stream map (PSM), which GB/T 28181
// devices send before keyframes (ps_muxer.h writes them so).
#pragma once

#include <string>
#include <string_view>

namespace xl::ps {

// The part of `bytes` from the start of the first pack that carries a stream map: from that
// pack's header (00 00 01 BA) when it is in `bytes`, else from the map itself (00 00 01 BC).
// Empty when `bytes` has no stream map. Any bytes are accepted.
std::string_view FromFirstStreamMap(std::string_view bytes);

// For a stream that never carries a map (some devices send none): when `bytes` holds a pack
// whose video PES (stream 0xE0) starts with a keyframe's parameter sets — an H.264 SPS or an
// H.265 VPS — the part from that pack, with a stream map for its codec inserted after the pack
// header, so that a demuxer can read it. Empty otherwise. Any bytes are accepted.
std::string FromFirstKeyframeWithGuessedMap(std::string_view bytes);

}  // namespace xl::ps
