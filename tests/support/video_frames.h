// Video frames as the worker sends them to the router's media socket, and tiny but well-formed
// H.264 access units to fill them: enough for parsers and payloaders to learn the stream
// (profile, size), not a picture worth decoding (real video: VtestAccessUnits in media.h).
#pragma once

#include <cstdint>
#include <string>
#include <zmq.hpp>

#include "xueliang.pb.h"

namespace xl::test {

// SPS (640×360), PPS and one IDR slice when `key`; else one non-IDR slice.
inline std::string TinyH264Unit(bool key) {
  const std::string sps("\x00\x00\x00\x01\x67\x64\x00\x1f\xac\xd9\x40\x50\x05\xbb\x01\x10", 16);
  const std::string pps("\x00\x00\x00\x01\x68\xeb\xe3\xcb\x22\xc0", 10);
  const std::string slice =
      key ? std::string("\x00\x00\x00\x01\x65\x88\x84\x00", 8) : std::string("\x00\x00\x01\x41\x9a\x02", 6);
  return key ? sps + pps + slice : slice;
}

// Frame `seq` of `camera` (640×360 H.264 at 25 fps) holding the access unit `data`, as a
// media-socket message.
inline zmq::message_t FrameMessage(const std::string& camera, uint64_t seq, bool key, const std::string& data) {
  wire::VideoFrame v;
  v.set_camera_id(camera);
  v.set_codec("h264");
  v.set_seq(seq);
  v.set_keyframe(key);
  v.set_pts_us(int64_t(seq) * 40000);
  v.set_dts_us(int64_t(seq) * 40000);
  v.set_width(640);
  v.set_height(360);
  v.set_data(data);
  const std::string bytes = v.SerializeAsString();
  return zmq::message_t(bytes.data(), bytes.size());
}

inline zmq::message_t TinyH264Frame(const std::string& camera, uint64_t seq, bool key) {
  return FrameMessage(camera, seq, key, TinyH264Unit(key));
}

}  // namespace xl::test
