// Sealed live video for native clients: each frame encrypted once, shared by every viewer.
//
// With CURVE every connection has its own session key, so a frame sent to N native viewers
// would be encrypted N times. Instead (the idea of SFrame, RFC 9605) the router seals each
// frame once under its camera's key (XChaCha20-Poly1305, libsodium) and sends the same bytes
// to every viewer over the video endpoint, which needs a ticket but adds no encryption of its
// own. The keys and tickets travel only over the viewer's CURVE client connection
// (ServerMessage.video_access / .video_key), so only an authenticated viewer allowed to watch
// a camera can open its frames; a frame altered, or moved to another camera, fails to open.
//
// Video endpoint protocol (ROUTER ← DEALER, ZeroMQ PLAIN with the ticket as password): the
// client sends one empty message to say which connection is its own; the router then sends
// each watched camera's frames as serialized SealedVideo messages.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <zmq.hpp>

#include "common/status.h"
#include "xueliang.pb.h"

namespace xl {

// A fresh random key `key_id` for `camera_id`.
wire::VideoKey NewVideoKey(const std::string& camera_id, uint32_t key_id);

// A fresh random ticket: 43 characters, safe as a ZeroMQ PLAIN password.
std::string NewVideoTicket();

// A serialized SealedVideo: `frame` (a serialized VideoFrame of key.camera_id()) sealed
// under `key`.
std::string SealVideoFrame(std::string_view frame, const wire::VideoKey& key);

// Opens `sealed` with `key`. Error when the key does not match or the frame was altered.
Result<wire::VideoFrame> OpenVideoFrame(const wire::SealedVideo& sealed, const wire::VideoKey& key);

// Makes `socket` the video endpoint: ZeroMQ PLAIN, each login decided by the ZAP handler
// under `zap_domain` (a live ticket as password). Call before bind.
void MakeTicketServer(zmq::socket_t& socket, const std::string& zap_domain);

// A native client's side of sealed video: keeps the keys and the video connection that the
// router's messages on the client connection describe. Not thread-safe.
class SealedVideoInbox {
 public:
  // `client_endpoint`: where the client connection goes (its host is the video endpoint's).
  SealedVideoInbox(zmq::context_t& ctx, std::string client_endpoint, int rcvhwm = 2000);

  // Takes `msg` from the client connection when it is about sealed video (true), opening or
  // replacing the video connection on a new VideoAccess; false for any other message.
  bool OnServerMessage(const wire::ServerMessage& msg);
  // The video connection; null until the router sent a VideoAccess.
  zmq::socket_t* socket() { return socket_.get(); }
  // socket() as a zmq::poll item for input (one that never fires while there is none).
  zmq::pollitem_t PollItem() const {
    return {socket_ ? socket_->handle() : nullptr, 0, short(socket_ ? ZMQ_POLLIN : 0), 0};
  }
  // Opens one message received on socket(). nullopt (counted in dropped()) when it is not a
  // sealed frame, its key is unknown or it fails to open.
  std::optional<wire::VideoFrame> Open(const zmq::message_t& msg);
  uint64_t dropped() const { return dropped_; }

 private:
  zmq::context_t& ctx_;
  std::string client_endpoint_;
  int rcvhwm_;
  std::string ticket_;
  std::unique_ptr<zmq::socket_t> socket_;
  // By camera and key ID: a camera's newest key and the one before (frames sealed just before
  // a new key may still be on the way).
  std::map<std::pair<std::string, uint32_t>, wire::VideoKey> keys_;
  uint64_t dropped_ = 0;
};

}  // namespace xl
