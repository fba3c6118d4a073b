#include "proto/wire/sealed_video.h"

#include <sodium.h>

namespace xl {

namespace {

constexpr size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;

// What is authenticated besides the frame: the camera ID and the key ID.
std::string AssociatedData(const std::string& camera_id, uint32_t key_id) {
  return camera_id + '\0' + std::to_string(key_id);
}

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

wire::VideoKey NewVideoKey(const std::string& camera_id, uint32_t key_id) {
  if (sodium_init() < 0) abort();  // libsodium cannot run at all here (no randomness)
  wire::VideoKey key;
  key.set_camera_id(camera_id);
  key.set_key_id(key_id);
  std::string bytes(kKeyBytes, '\0');
  crypto_aead_xchacha20poly1305_ietf_keygen(reinterpret_cast<unsigned char*>(bytes.data()));
  key.set_key(std::move(bytes));
  return key;
}

std::string NewVideoTicket() {
  if (sodium_init() < 0) abort();
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char text[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(text, sizeof text, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return text;
}

std::string SealVideoFrame(std::string_view plain, const wire::VideoKey& key) {
  const std::string ad = AssociatedData(key.camera_id(), key.key_id());
  wire::SealedVideo sealed;
  sealed.set_camera_id(key.camera_id());
  sealed.set_key_id(key.key_id());
  std::string nonce(kNonceBytes, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  std::string box(plain.size() + kTagBytes, '\0');
  unsigned long long box_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(box.data()), &box_len, Bytes(plain),
                                             plain.size(), Bytes(ad), ad.size(), nullptr, Bytes(nonce),
                                             Bytes(key.key()));
  box.resize(size_t(box_len));
  sealed.set_nonce(std::move(nonce));
  sealed.set_box(std::move(box));
  return sealed.SerializeAsString();
}

Result<wire::VideoFrame> OpenVideoFrame(const wire::SealedVideo& sealed, const wire::VideoKey& key) {
  if (key.key().size() != kKeyBytes || sealed.nonce().size() != kNonceBytes || sealed.box().size() < kTagBytes) {
    return Error{"sealed frame of " + sealed.camera_id() + ": malformed"};
  }
  if (sealed.camera_id() != key.camera_id() || sealed.key_id() != key.key_id()) {
    return Error{"sealed frame of " + sealed.camera_id() + ": not under this key"};
  }
  const std::string ad = AssociatedData(sealed.camera_id(), sealed.key_id());
  std::string plain(sealed.box().size() - kTagBytes, '\0');
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plain.data()), &plain_len, nullptr,
                                                 Bytes(sealed.box()), sealed.box().size(), Bytes(ad), ad.size(),
                                                 Bytes(sealed.nonce()), Bytes(key.key())) != 0) {
    return Error{"sealed frame of " + sealed.camera_id() + ": fails to open (altered, or another key)"};
  }
  wire::VideoFrame frame;
  if (!frame.ParseFromArray(plain.data(), int(plain_len)) || frame.camera_id() != sealed.camera_id()) {
    return Error{"sealed frame of " + sealed.camera_id() + ": opens to no frame of that camera"};
  }
  return frame;
}

void MakeTicketServer(zmq::socket_t& socket, const std::string& zap_domain) {
  socket.set(zmq::sockopt::plain_server, 1);
  socket.set(zmq::sockopt::zap_domain, zap_domain);
}

SealedVideoInbox::SealedVideoInbox(zmq::context_t& ctx, std::string client_endpoint, int rcvhwm)
    : ctx_(ctx), client_endpoint_(std::move(client_endpoint)), rcvhwm_(rcvhwm) {}

bool SealedVideoInbox::OnServerMessage(const wire::ServerMessage& msg) {
  if (msg.has_video_key()) {
    const wire::VideoKey& key = msg.video_key();
    keys_[{key.camera_id(), key.key_id()}] = key;
    // Keep the newest key of the camera and the one before.
    auto newest = keys_.lower_bound({key.camera_id(), 0});
    size_t count = 0;
    for (auto it = newest; it != keys_.end() && it->first.first == key.camera_id(); ++it) ++count;
    while (count-- > 2) newest = keys_.erase(newest);
    return true;
  }
  if (!msg.has_video_access()) return false;
  const wire::VideoAccess& access = msg.video_access();
  if (access.ticket() == ticket_ && socket_) return true;
  ticket_ = access.ticket();
  const size_t colon = client_endpoint_.rfind(':');
  const std::string endpoint = client_endpoint_.substr(0, colon + 1) + std::to_string(access.port());
  socket_ = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::rcvhwm, rcvhwm_);
  socket_->set(zmq::sockopt::plain_username, "viewer");
  socket_->set(zmq::sockopt::plain_password, ticket_);
  socket_->connect(endpoint);
  socket_->send(zmq::str_buffer(""), zmq::send_flags::dontwait);  // this connection is ours
  return true;
}

std::optional<wire::VideoFrame> SealedVideoInbox::Open(const zmq::message_t& msg) {
  wire::SealedVideo sealed;
  if (!sealed.ParseFromArray(msg.data(), int(msg.size()))) {
    ++dropped_;
    return std::nullopt;
  }
  auto key = keys_.find({sealed.camera_id(), sealed.key_id()});
  if (key == keys_.end()) {
    ++dropped_;
    return std::nullopt;
  }
  auto frame = OpenVideoFrame(sealed, key->second);
  if (!frame.ok()) {
    ++dropped_;
    return std::nullopt;
  }
  return std::move(frame.value());
}

}  // namespace xl
