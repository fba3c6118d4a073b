#include "router/keys/zap_handler.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "proto/wire/curve.h"

namespace xl::router {

namespace {
constexpr int64_t kLogEveryMs = 60 * 1000;
constexpr size_t kMaxLoggedSources = 4096;  // beyond this the log-throttle table starts over
}  // namespace

ZapHandler::ZapHandler(zmq::context_t& ctx, KeyStore& keys, std::function<bool(const std::string&)> user_exists,
                       std::function<bool(const std::string&)> ticket_valid)
    : socket_(ctx, zmq::socket_type::rep),
      keys_(keys),
      user_exists_(std::move(user_exists)),
      ticket_valid_(std::move(ticket_valid)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind("inproc://zeromq.zap.01");
}

std::string ZapHandler::Decide(const std::string& domain, const std::string& public_key) {
  const auto key = keys_.Lookup(public_key);
  if (!key) return "unknown key " + public_key;
  if (domain == kZapClients) {
    if (key->kind != PeerKind::kUser)
      return "worker key " + public_key + " (" + key->name + ") on the clients endpoint";
    if (!user_exists_(key->name)) return "key " + public_key + " of user " + key->name + ", who no longer exists";
    return "";
  }
  if (domain == kZapChildren) {
    if (key->kind != PeerKind::kChild) {
      return std::string(PeerKindName(key->kind)) + " key " + public_key + " (" + key->name +
             ") on the children endpoint";
    }
    return "";
  }
  if (domain != kZapWorkers && domain != kZapControl && domain != kZapMedia) return "unknown ZAP domain " + domain;
  if (key->kind != PeerKind::kWorker) {
    return std::string(PeerKindName(key->kind)) + " key " + public_key + " (" + key->name + ") on a worker endpoint";
  }
  return "";
}

void ZapHandler::OnReadable(int64_t now_ms) {
  for (;;) {
    std::vector<zmq::message_t> frames;
    zmq::message_t frame;
    if (!socket_.recv(frame, zmq::recv_flags::dontwait)) return;
    frames.push_back(std::move(frame));
    while (frames.back().more()) {
      zmq::message_t next;
      if (!socket_.recv(next, zmq::recv_flags::dontwait)) break;
      frames.push_back(std::move(next));
    }
    // version, request id, domain, address, routing id, mechanism, credentials...
    std::string status = "400", text = "refused", user_id;
    if (frames.size() >= 6) {
      const std::string domain = frames[2].to_string(), address = frames[3].to_string();
      const std::string mechanism = frames[5].to_string();  // frames[4] is our own routing ID, not the peer's
      std::string why = "mechanism " + mechanism + " (only CURVE is accepted)";
      std::string peer;  // its public key, or (video) its ticket
      if (domain == kZapVideo) {
        // PLAIN: user name, password. The ticket is never logged.
        why = "mechanism " + mechanism + " (only PLAIN with a ticket is accepted)";
        if (mechanism == "PLAIN" && frames.size() >= 8) {
          peer = frames[7].to_string();
          why = ticket_valid_(peer) ? "" : "no such ticket";
        }
      } else if (mechanism == "CURVE" && frames.size() >= 7 && frames[6].size() == 32) {
        char z85[41];
        zmq_z85_encode(z85, static_cast<const uint8_t*>(frames[6].data()), 32);
        peer = z85;
        why = Decide(domain, peer);
      }
      if (why.empty()) {
        status = "200";
        text = "OK";
        user_id = peer;
      } else {
        ++refused_;
        if (logged_ms_.size() > kMaxLoggedSources) logged_ms_.clear();
        int64_t& last = logged_ms_[address];
        if (last == 0 || now_ms - last >= kLogEveryMs) {
          last = now_ms;
          spdlog::warn("keys: refused a connection from {} to the {} endpoint: {} ({} refused so far)", address, domain,
                       why, refused_);
        }
      }
    }
    const std::string version = frames.empty() ? "1.0" : frames[0].to_string();
    const std::string request_id = frames.size() > 1 ? frames[1].to_string() : "";
    try {
      socket_.send(zmq::buffer(version), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(status), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(text), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(user_id), zmq::send_flags::sndmore);
      socket_.send(zmq::str_buffer(""), zmq::send_flags::none);
    } catch (const zmq::error_t& e) {
      spdlog::error("keys: cannot answer a ZAP request: {}", e.what());
    }
  }
}

}  // namespace xl::router
