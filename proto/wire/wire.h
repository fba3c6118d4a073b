// Sending and receiving protobuf messages over ZeroMQ sockets.
#pragma once

#include <google/protobuf/message_lite.h>

#include <optional>
#include <string>
#include <string_view>
#include <zmq.hpp>

#include "xueliang.pb.h"

namespace xl {

// One zmq frame holding the serialised message.
zmq::message_t ToFrame(const google::protobuf::MessageLite& msg);

// Parses a frame into `msg`; false when the bytes are not a valid message of that type.
bool FromFrame(const zmq::message_t& frame, google::protobuf::MessageLite* msg);

// The serialised message whose only field is message field `field` holding the serialised
// message `inner` (e.g. ServerMessage{video} from a serialised VideoFrame), without parsing
// `inner` again: its key, its length and its bytes.
std::string WrappedField(int field, std::string_view inner);

// Human names of enum values, for logs and the console ("online", "motion", "start").
const char* StateName(wire::CameraState state);
const char* KindName(wire::AlertKind kind);
const char* PhaseName(wire::AlertPhase phase);

}  // namespace xl
