#include "ingest/gb28181/registrar.h"

#include <glib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "common/clock.h"

namespace xl::gb28181 {

namespace {
constexpr long kDefaultExpiresS = 3600;
constexpr long kMaxExpiresS = 86400;
constexpr size_t kMaxDevices = 100000;
constexpr int64_t kInviteTimeoutMs = 10000;
constexpr int64_t kNonceLifeMs = 5 * 60 * 1000;  // a device may take its time to answer
constexpr int64_t kFailureWindowMs = 60 * 1000;
constexpr size_t kMaxFailureEntries = 10000;

std::string Hmac(const std::string& key, const std::string& text) {
  gchar* mac = g_compute_hmac_for_string(G_CHECKSUM_SHA256, reinterpret_cast<const guchar*>(key.data()), key.size(),
                                         text.data(), gssize(text.size()));
  std::string out = mac ? std::string(mac, 32) : std::string();
  g_free(mac);
  return out;
}
}  // namespace

std::string Registrar::Nonce(const std::string& id, const std::string& host, int64_t now_ms) const {
  char stamp[17];
  std::snprintf(stamp, sizeof stamp, "%016llx", static_cast<unsigned long long>(now_ms));
  return stamp + Hmac(nonce_key_, std::string(stamp) + "|" + id + "|" + host);
}

bool Registrar::NonceValid(const std::string& nonce, const std::string& id, const std::string& host,
                           int64_t now_ms) const {
  if (nonce.size() != 48) return false;
  const std::string stamp = nonce.substr(0, 16);
  char* end = nullptr;
  const int64_t made = int64_t(std::strtoull(stamp.c_str(), &end, 16));
  if (end != stamp.c_str() + 16 || made > now_ms || now_ms - made > kNonceLifeMs) return false;
  return nonce.substr(16) == Hmac(nonce_key_, stamp + "|" + id + "|" + host);
}

bool Registrar::FromDevice(const GbDevice& d, const Peer& peer) {
  return d.peer.transport == peer.transport && d.peer.host == peer.host && d.peer.port == peer.port &&
         (peer.transport != "tcp" || d.peer.connection == peer.connection);
}

std::string GbDate(int64_t wall_ms) {
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03d", int(wall_ms % 1000));
  return LocalTime(wall_ms, "%Y-%m-%dT%H:%M:%S") + ms;
}

Registrar::Registrar(GbConfig config) : config_(std::move(config)), nonce_key_(RandomHex(32)) {}

const std::string& Registrar::PasswordOf(const std::string& device_id) const {
  auto it = config_.passwords.find(device_id);
  return it == config_.passwords.end() ? config_.password : it->second;
}

Registrar::Output Registrar::OnMessage(const SipMessage& m, const Peer& peer, int64_t now_ms) {
  Output out;
  if (!m.is_request()) {
    if (m.cseq_method() == "INVITE") OnInviteResponse(m, peer, out);
    return out;  // answers to our queries and BYEs: nothing to do
  }
  const std::string method = m.method();
  if (method == "BYE") {
    OnBye(m, peer, out);
  } else if (method == "REGISTER") {
    OnRegister(m, peer, now_ms, out);
  } else if (method == "MESSAGE") {
    OnMessageRequest(m, peer, now_ms, out);
  } else if (method == "ACK") {
    // nothing to answer
  } else {
    out.sends.emplace_back(peer, SipMessage::ResponseTo(m, 405, "Method Not Allowed").ToString());
  }
  return out;
}

void Registrar::OnRegister(const SipMessage& m, const Peer& peer, int64_t now_ms, Output& out) {
  const std::string id = m.from_user();
  auto reply = [&](int code, const char* reason) { return SipMessage::ResponseTo(m, code, reason); };
  if (id.size() != 20 || id.find_first_not_of("0123456789") != std::string::npos) {
    out.sends.emplace_back(peer, reply(400, "Bad Request").ToString());
    return;
  }
  const auto auth = m.authorization();
  if (!auth || !NonceValid(auth->nonce, id, peer.host, now_ms)) {
    // First attempt, or a challenge not ours (or too old): challenge (again). Nothing is kept.
    SipMessage r = reply(401, "Unauthorized");
    r.SetHeader("WWW-Authenticate",
                "Digest realm=\"" + config_.realm + "\",nonce=\"" + Nonce(id, peer.host, now_ms) + "\",algorithm=MD5");
    out.sends.emplace_back(peer, r.ToString());
    return;
  }
  const std::string failure_key = id + "|" + peer.host;
  auto failed = failures_.find(failure_key);
  if (failed != failures_.end() && now_ms - failed->second.since_ms > kFailureWindowMs) {
    failures_.erase(failed);
    failed = failures_.end();
  }
  if (failed != failures_.end() && failed->second.count >= kMaxDigestFailures) {
    out.sends.emplace_back(peer, reply(403, "Forbidden").ToString());  // guessing: not even checked
    return;
  }
  const bool right = auth->username == id && auth->realm == config_.realm &&
                     (auth->algorithm.empty() || auth->algorithm == "MD5" || auth->algorithm == "md5") &&
                     auth->response == DigestResponse(*auth, PasswordOf(id), "REGISTER");
  if (!right) {
    out.sends.emplace_back(peer, reply(403, "Forbidden").ToString());
    if (failures_.size() >= kMaxFailureEntries) failures_.clear();
    Failures& f = failures_[failure_key];
    if (f.count == 0) f.since_ms = now_ms;
    if (++f.count == kMaxDigestFailures) {
      out.events.push_back({GbEvent::kRefused, id,
                            std::to_string(kMaxDigestFailures) + " wrong digests from " + peer.host +
                                " within a minute: refused unchecked for a while"});
    }
    if (refused_.size() < kMaxDevices && refused_.insert(id).second) {
      out.events.push_back({GbEvent::kRefused, id, "wrong password or realm, from " + peer.ToString()});
    }
    return;
  }
  failures_.erase(failure_key);
  if (!devices_.count(id) && devices_.size() >= kMaxDevices) {
    out.sends.emplace_back(peer, reply(503, "Service Unavailable").ToString());
    return;
  }
  GbDevice& d = devices_[id];
  d.id = id;
  refused_.erase(id);
  long expires = m.expires().value_or(kDefaultExpiresS);
  if (expires > kMaxExpiresS) expires = kMaxExpiresS;
  SipMessage r = reply(200, "OK");
  r.AddHeader("Date", GbDate(NowMs()));
  r.AddHeader("Expires", std::to_string(expires));
  out.sends.emplace_back(peer, r.ToString());
  if (expires == 0) {
    const bool was = d.registered;
    SetOnline(d, false, "unregistered", out);
    d.registered = false;
    if (was) out.events.push_back({GbEvent::kUnregistered, id, "Expires: 0"});
    return;
  }
  const bool fresh =
      !d.registered || !(d.peer.host == peer.host && d.peer.port == peer.port && d.peer.transport == peer.transport);
  d.peer = peer;
  d.platform_address = peer.local;
  d.expires_at_ms = now_ms + expires * 1000;
  d.last_heard_ms = now_ms;
  if (fresh) {
    d.registered = true;
    out.events.push_back(
        {GbEvent::kRegistered, id, "from " + peer.ToString() + ", expires " + std::to_string(expires) + " s"});
    SetOnline(d, true, "registered", out);
    d.catalog_complete = false;  // asked afresh: a device that registers anew may have changed
    QueueQueries(id, true, now_ms, out);
  } else {
    SetOnline(d, true, "registration refreshed", out);
  }
}

void Registrar::OnMessageRequest(const SipMessage& m, const Peer& peer, int64_t now_ms, Output& out) {
  auto parsed = ParseManscdp(m.body());
  if (!parsed.ok()) {
    out.sends.emplace_back(peer, SipMessage::ResponseTo(m, 400, "Bad Request").ToString());
    return;
  }
  const Manscdp& x = parsed.value();
  auto it = devices_.find(m.from_user());
  if (it == devices_.end() || !it->second.registered || !FromDevice(it->second, peer)) {
    // Unknown, or not from where the device registered (spoofed, or it moved: it re-registers).
    out.sends.emplace_back(peer, SipMessage::ResponseTo(m, 403, "Forbidden").ToString());
    return;
  }
  GbDevice& d = it->second;
  out.sends.emplace_back(peer, SipMessage::ResponseTo(m, 200, "OK").ToString());
  d.last_heard_ms = now_ms;
  if (x.cmd_type == "Keepalive") {
    SetOnline(d, true, "keepalive", out);
    // Over UDP a query or a part of the answer can be lost: ask again, at most every 10 s.
    if (!d.catalog_complete && now_ms - d.catalog_asked_ms >= 10000) QueueQueries(d.id, false, now_ms, out);
  } else if (x.cmd_type == "Catalog" && x.root == "Response") {
    if (x.sn != d.catalog_sn || d.catalog_complete) {  // a new catalog (ours, or the device's own)
      d.catalog_sn = x.sn;
      d.catalog.clear();
      d.catalog_complete = false;
    }
    d.catalog_sum = std::min<long>(x.sum_num, long(kMaxCatalogItems));
    for (const CatalogItem& item : x.items) {
      if (item.device_id.empty()) continue;
      if (d.catalog.size() >= kMaxCatalogItems && !d.catalog.count(item.device_id)) break;
      d.catalog[item.device_id] = item;
    }
    if (long(d.catalog.size()) >= d.catalog_sum) {
      d.catalog_complete = true;
      out.events.push_back({GbEvent::kCatalog, d.id, std::to_string(d.catalog.size()) + " channels"});
      if (querying_.erase(d.id)) PumpQueries(now_ms, out);
    }
  } else if (x.cmd_type == "DeviceInfo" && x.root == "Response") {
    d.name = x.device_name;
    d.manufacturer = x.manufacturer;
    d.model = x.model;
    d.firmware = x.firmware;
    out.events.push_back({GbEvent::kDeviceInfo, d.id, x.manufacturer + " " + x.model + " " + x.firmware});
  }
}

RequestHeaders Registrar::HeadersTo(const GbDevice& d, const std::string& to_id) {
  RequestHeaders h;
  h.transport = d.peer.transport == "tcp" ? "TCP" : "UDP";
  h.via_host = d.platform_address.empty() ? config_.realm : d.platform_address;
  h.from_uri = "sip:" + config_.id + "@" + config_.realm;
  h.to_uri = "sip:" + to_id + "@" + config_.realm;
  h.call_id = RandomHex(24);
  h.cseq = cseq_++;
  return h;
}

std::string Registrar::UriOf(const GbDevice& d, const std::string& to_id) const {
  return "sip:" + to_id + "@" + d.peer.host + ":" + std::to_string(d.peer.port);
}

void Registrar::SendMessage(GbDevice& d, const std::string& to_id, const Manscdp& body, Output& out) {
  SipMessage q = SipMessage::Request("MESSAGE", UriOf(d, to_id), HeadersTo(d, to_id));
  q.SetBody(BuildManscdp(body), "Application/MANSCDP+xml");
  out.sends.emplace_back(d.peer, q.ToString());
}

Result<Registrar::Output> Registrar::Invite(const CallRequest& r, int64_t now_ms, std::string* call_id) {
  auto it = devices_.find(r.device_id);
  if (it == devices_.end() || !it->second.registered) return Error{"device " + r.device_id + " is not registered"};
  GbDevice& d = it->second;
  if (!d.online) return Error{"device " + r.device_id + " is offline"};
  if (r.channel_id != r.device_id && !d.catalog.count(r.channel_id)) {
    return Error{"device " + r.device_id + " has no channel " + r.channel_id};
  }
  RequestHeaders h = HeadersTo(d, r.channel_id);
  h.from_tag = RandomHex(8);
  SipMessage q = SipMessage::Request("INVITE", UriOf(d, r.channel_id), h);
  q.SetHeader("Contact", "<sip:" + config_.id + "@" + h.via_host + ">");
  // Subject: sender:stream, receiver:stream (§I.2).
  q.AddHeader("Subject", r.channel_id + ":" + r.ssrc + "," + config_.id + ":0");
  MediaDescription offer;
  offer.owner = config_.id;
  offer.session = "Play";
  offer.ip = r.media_ip;
  offer.port = r.media_port;
  offer.transport = r.transport;
  offer.setup = "passive";
  offer.direction = "recvonly";
  offer.ssrc = r.ssrc;
  q.SetBody(BuildSdp(offer), "APPLICATION/SDP");
  Call& call = calls_[h.call_id];
  call.device_id = r.device_id;
  call.channel_id = r.channel_id;
  call.from_tag = h.from_tag;
  call.cseq = h.cseq;
  call.asked_ms = now_ms;
  *call_id = h.call_id;
  Output out;
  out.sends.emplace_back(d.peer, q.ToString());
  return out;
}

void Registrar::OnInviteResponse(const SipMessage& m, const Peer& peer, Output& out) {
  auto it = calls_.find(m.call_id());
  if (it == calls_.end() || m.status() < 200) return;  // not ours (any more), or provisional
  Call& call = it->second;
  auto device = devices_.find(call.device_id);
  if (device == devices_.end() || !FromDevice(device->second, peer)) return;  // not from the device
  if (m.status() >= 300) {
    // The transaction's ACK for a failure (RFC 3261 §17.1.1.3) matters only to retransmission.
    out.calls.push_back(
        {CallEvent::kFailed, it->first, "the device answered " + std::to_string(m.status()) + " to INVITE", {}});
    calls_.erase(it);
    return;
  }
  call.to_tag = m.to_tag();
  RequestHeaders h = HeadersTo(device->second, call.channel_id);
  h.call_id = it->first;
  h.from_tag = call.from_tag;
  h.to_tag = call.to_tag;
  h.cseq = call.cseq;
  out.sends.emplace_back(device->second.peer,
                         SipMessage::Request("ACK", UriOf(device->second, call.channel_id), h).ToString());
  if (call.answered) return;  // a retransmitted 200: ACK again, nothing new
  call.answered = true;
  auto answer = ParseSdp(m.body());
  if (!answer.ok()) {
    out.calls.push_back(
        {CallEvent::kFailed, it->first, "the device's answer is unusable: " + answer.error().message, {}});
    Output bye = Bye(it->first);
    for (auto& send : bye.sends) out.sends.push_back(std::move(send));
    return;
  }
  out.calls.push_back({CallEvent::kAnswered, it->first, "", answer.value()});
}

void Registrar::OnBye(const SipMessage& m, const Peer& peer, Output& out) {
  auto it = calls_.find(m.call_id());
  auto device = it == calls_.end() ? devices_.end() : devices_.find(it->second.device_id);
  if (it == calls_.end() || device == devices_.end() || !FromDevice(device->second, peer)) {
    out.sends.emplace_back(peer, SipMessage::ResponseTo(m, 481, "Call/Transaction Does Not Exist").ToString());
    return;
  }
  out.sends.emplace_back(peer, SipMessage::ResponseTo(m, 200, "OK").ToString());
  out.calls.push_back({CallEvent::kEnded, it->first, "the device hung up (BYE)", {}});
  calls_.erase(it);
}

Registrar::Output Registrar::Bye(std::string call_id) {
  Output out;
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return out;
  const Call call = it->second;
  calls_.erase(it);
  auto device = devices_.find(call.device_id);
  if (!call.answered || device == devices_.end()) return out;  // an unanswered INVITE's 200 gets no ACK: it gives up
  RequestHeaders h = HeadersTo(device->second, call.channel_id);
  h.call_id = call_id;
  h.from_tag = call.from_tag;
  h.to_tag = call.to_tag;
  h.cseq = call.cseq + 1;
  out.sends.emplace_back(device->second.peer,
                         SipMessage::Request("BYE", UriOf(device->second, call.channel_id), h).ToString());
  return out;
}

void Registrar::AskCatalog(GbDevice& d, int64_t now_ms, Output& out) {
  d.catalog.clear();
  d.catalog_complete = false;
  d.catalog_sn = sn_++;
  d.catalog_asked_ms = now_ms;
  Query(d, "Catalog", d.catalog_sn, out);
}

void Registrar::QueueQueries(const std::string& id, bool with_info, int64_t now_ms, Output& out) {
  if (querying_.count(id)) return;  // asked already; the answer may still come
  auto [it, added] = queued_.emplace(id, with_info);
  if (added) {
    queue_.push_back(id);
  } else {
    it->second = it->second || with_info;
  }
  PumpQueries(now_ms, out);
}

void Registrar::PumpQueries(int64_t now_ms, Output& out) {
  while (querying_.size() < kMaxQueriesInFlight && !queue_.empty()) {
    const std::string id = std::move(queue_.front());
    queue_.pop_front();
    auto q = queued_.find(id);
    const bool with_info = q != queued_.end() && q->second;
    if (q != queued_.end()) queued_.erase(q);
    auto d = devices_.find(id);
    if (d == devices_.end() || !d->second.registered) continue;
    querying_.insert(id);
    AskCatalog(d->second, now_ms, out);
    if (with_info) Query(d->second, "DeviceInfo", sn_++, out);
  }
}

void Registrar::Query(GbDevice& d, const std::string& cmd_type, long sn, Output& out) {
  Manscdp body;
  body.root = "Query";
  body.cmd_type = cmd_type;
  body.sn = sn;
  body.device_id = d.id;
  SendMessage(d, d.id, body, out);
}

Result<Registrar::Output> Registrar::Ptz(const std::string& device_id, const std::string& channel_id,
                                         const std::string& ptz_cmd) {
  auto it = devices_.find(device_id);
  if (it == devices_.end() || !it->second.registered) return Error{"device " + device_id + " is not registered"};
  if (!it->second.online) return Error{"device " + device_id + " is offline"};
  const std::string target = channel_id.empty() ? device_id : channel_id;
  if (target != device_id && !it->second.catalog.count(target)) {
    return Error{"device " + device_id + " has no channel " + target};
  }
  Output out;
  Manscdp body;
  body.root = "Control";
  body.cmd_type = "DeviceControl";
  body.sn = sn_++;
  body.device_id = target;
  body.ptz_cmd = ptz_cmd;
  SendMessage(it->second, target, body, out);
  return out;
}

void Registrar::SetOnline(GbDevice& d, bool online, const std::string& why, Output& out) {
  if (d.online == online) return;
  d.online = online;
  out.events.push_back({online ? GbEvent::kOnline : GbEvent::kOffline, d.id, why});
}

Registrar::Output Registrar::Tick(int64_t now_ms) {
  Output out;
  const int64_t silence_ms = int64_t(config_.keepalive_s) * config_.keepalive_misses * 1000;
  for (auto& [id, d] : devices_) {
    if (!d.registered) continue;
    if (now_ms >= d.expires_at_ms) {
      SetOnline(d, false, "registration expired", out);
      d.registered = false;
      out.events.push_back({GbEvent::kUnregistered, id, "registration expired"});
    } else if (d.online && now_ms - d.last_heard_ms > silence_ms) {
      SetOnline(d, false, "no keepalive for " + std::to_string(silence_ms / 1000) + " s", out);
    }
  }
  for (auto it = querying_.begin(); it != querying_.end();) {
    // Not answered in time (lost, or the device went): its place goes to the next; the
    // device's keepalives ask again later.
    auto d = devices_.find(*it);
    const bool late = d == devices_.end() || now_ms - d->second.catalog_asked_ms >= kQueryTimeoutMs;
    it = late ? querying_.erase(it) : std::next(it);
  }
  PumpQueries(now_ms, out);
  for (auto it = calls_.begin(); it != calls_.end();) {
    if (!it->second.answered && now_ms - it->second.asked_ms > kInviteTimeoutMs) {
      out.calls.push_back({CallEvent::kFailed, it->first, "no answer to INVITE", {}});
      it = calls_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace xl::gb28181
