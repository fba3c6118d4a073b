#include "proto/wire/wire.h"

namespace xl {

zmq::message_t ToFrame(const google::protobuf::MessageLite& msg) {
  zmq::message_t frame(msg.ByteSizeLong());
  msg.SerializeToArray(frame.data(), static_cast<int>(frame.size()));
  return frame;
}

bool FromFrame(const zmq::message_t& frame, google::protobuf::MessageLite* msg) {
  return msg->ParseFromArray(frame.data(), static_cast<int>(frame.size()));
}

namespace {
// Appends `n` as a protobuf varint (7 bits a byte, low bits first).
void AppendVarint(std::string& out, uint64_t n) {
  for (; n >= 0x80; n >>= 7) out += char((n & 0x7F) | 0x80);
  out += char(n);
}
}  // namespace

std::string WrappedField(int field, std::string_view inner) {
  std::string out;
  out.reserve(inner.size() + 16);
  AppendVarint(out, (uint64_t(field) << 3) | 2);  // the key; wire type 2: length-delimited
  AppendVarint(out, inner.size());
  out.append(inner);
  return out;
}

const char* StateName(wire::CameraState state) {
  switch (state) {
    case wire::CAMERA_STATE_CONNECTING:
      return "connecting";
    case wire::CAMERA_STATE_ONLINE:
      return "online";
    case wire::CAMERA_STATE_OFFLINE:
      return "offline";
    case wire::CAMERA_STATE_RECONNECTING:
      return "reconnecting";
    case wire::CAMERA_STATE_DISABLED:
      return "disabled";
    case wire::CAMERA_STATE_REMOVED:
      return "removed";
    default:
      return "unknown";
  }
}

const char* KindName(wire::AlertKind kind) {
  switch (kind) {
    case wire::ALERT_KIND_MOTION:
      return "motion";
    case wire::ALERT_KIND_FACE:
      return "face";
    case wire::ALERT_KIND_SIGNAL_LOSS:
      return "signal_loss";
    case wire::ALERT_KIND_FROZEN:
      return "frozen";
    case wire::ALERT_KIND_COVERED:
      return "covered";
    case wire::ALERT_KIND_BLUR:
      return "blur";
    case wire::ALERT_KIND_BRIGHTNESS:
      return "brightness";
    case wire::ALERT_KIND_SCENE_CHANGE:
      return "scene_change";
    case wire::ALERT_KIND_OBJECT:
      return "object";
    default:
      return "unknown";
  }
}

const char* PhaseName(wire::AlertPhase phase) {
  switch (phase) {
    case wire::ALERT_PHASE_START:
      return "start";
    case wire::ALERT_PHASE_UPDATE:
      return "update";
    case wire::ALERT_PHASE_END:
      return "end";
    default:
      return "unknown";
  }
}

}  // namespace xl
