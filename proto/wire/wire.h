// Sending and receiving protobuf messages over ZeroMQ sockets.
#pragma once

#include <google/protobuf/message_lite.h>

#include <optional>
#include <string>
#include <zmq.hpp>

#include "xueliang.pb.h"

namespace xl {

// One zmq frame holding the serialised message.
zmq::message_t ToFrame(const google::protobuf::MessageLite& msg);

// Parses a frame into `msg`; false when the bytes are not a valid message of that type.
bool FromFrame(const zmq::message_t& frame, google::protobuf::MessageLite* msg);

// Human names of enum values, for logs and the console ("online", "motion", "start").
const char* StateName(wire::CameraState state);
const char* KindName(wire::AlertKind kind);
const char* PhaseName(wire::AlertPhase phase);

}  // namespace xl
