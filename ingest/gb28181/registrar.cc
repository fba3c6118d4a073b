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

bool Registrar::FromNewPortOfDevice(const GbDevice& d, const Peer& peer) {
  return d.peer.transport == peer.transport && d.peer.host == peer.host && !FromDevice(d, peer);
}

Registrar::Registrar(GbConfig config) : config_(std::move(config)), nonce_key_(RandomHex(32)) {}

const std::string& Registrar::PasswordOf(const std::string& device_id) const {
  auto it = config_.passwords.find(device_id);
  return it == config_.passwords.end() ? config_.password : it->second;
}

Registrar::Output Registrar::OnMessage(const SipMessage& m, const Peer& peer, int64_t now_ms) {
  Output out;
  if (!m.is_request()) {
    if (m.cseq_method() == "INVITE") OnInviteResponse(m, peer, now_ms, out);
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
    d.keepalive_port = 0;
    // What it allows may have changed with it (a restart, new firmware): learned again.
    auto limit = config_.device_max_calls.find(id);
    d.max_calls = limit == config_.device_max_calls.end() ? config_.max_calls : limit->second;
    d.calls_learned = false;
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
  if (it != devices_.end() && it->second.registered && x.cmd_type == "Keepalive" &&
      FromNewPortOfDevice(it->second, peer)) {
    // A NAT that renewed its mapping gave the device a new port: it is alive, and stays
    // reached where it registered until it registers from there (or its registration ends).
    GbDevice& d = it->second;
    out.sends.emplace_back(peer, SipMessage::ResponseTo(m, 200, "OK").ToString());
    d.last_heard_ms = now_ms;
    if (d.keepalive_port != peer.port) {
      d.keepalive_port = peer.port;
      out.events.push_back({GbEvent::kMoved, d.id,
                            "keepalives come from " + peer.ToString() + ", registered from " + d.peer.ToString() +
                                " (a NAT's new mapping?): kept online until it registers from there"});
    }
    SetOnline(d, true, "keepalive", out);
    return;
  }
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
    const bool late_part = x.sn == d.catalog_sn && d.catalog_complete;  // past a SumNum too small
    if (x.sn != d.catalog_sn) {                                         // a new catalog (ours, or the device's own)
      d.catalog_sn = x.sn;
      d.gathering.clear();
      d.catalog_received = 0;
      d.catalog_complete = false;
    }
    d.catalog_heard_ms = now_ms;
    if (x.sum_num >= 0) d.catalog_sum = std::min<long>(x.sum_num, long(kMaxCatalogItems));
    const size_t had = d.gathering.size();
    for (const CatalogItem& item : x.items) {
      if (item.device_id.empty()) continue;  // nothing to call it by
      ++d.catalog_received;
      if (d.gathering.size() >= kMaxCatalogItems && !d.gathering.count(item.device_id)) break;
      d.gathering[item.device_id] = item;  // a duplicate: the last one wins
    }
    if (late_part) {
      d.catalog = d.gathering;
      if (d.gathering.size() > had) {
        out.events.push_back({GbEvent::kCatalog, d.id,
                              std::to_string(d.catalog.size()) + " channels (more came after SumNum " +
                                  std::to_string(d.catalog_sum) + ")"});
      }
    } else if (d.catalog_sum >= 0 && d.catalog_received >= d.catalog_sum) {
      // Counted with duplicates: a device that repeats an item counts it in SumNum too.
      CompleteCatalog(d, "", now_ms, out);
    }
  } else if (x.cmd_type == "Alarm" && x.root == "Notify") {
    ++d.alarms;
    const std::string text = "channel " + x.device_id + ": priority " + std::to_string(x.alarm_priority) + ", method " +
                             std::to_string(x.alarm_method) + ", type " + std::to_string(x.alarm_type) + " at " +
                             x.alarm_time + ": " + x.alarm_description;
    d.recent_alarms.push_back(text);
    if (d.recent_alarms.size() > kRecentAlarms) d.recent_alarms.pop_front();
    out.events.push_back({GbEvent::kAlarm, d.id, text});
  } else if (x.cmd_type == "RecordInfo" && x.root == "Response") {
    auto q = record_queries_.find(x.sn);
    if (q == record_queries_.end() || q->second.device_id != d.id) return;  // late, or not ours
    RecordQuery& rq = q->second;
    rq.heard_ms = now_ms;
    if (x.sum_num >= 0) rq.sum = x.sum_num;
    for (const RecordItem& r : x.records) {
      ++rq.received;
      if (rq.items.size() >= kMaxRecordItems) break;
      char key[64];
      std::snprintf(key, sizeof key, "%020lld|%020lld|", static_cast<long long>(r.start_ms),
                    static_cast<long long>(r.end_ms));
      rq.items[key + r.file_path] = r;
    }
    if (rq.sum >= 0 && rq.received >= rq.sum) FinishRecords(x.sn, true, "", out);
  } else if (x.cmd_type == "MediaStatus" && x.notify_type == "121") {
    // In the call's dialog as the standard has it; else the one recording call of that channel.
    std::string call_id;
    if (auto dialog = dialogs_.find(m.call_id()); dialog != dialogs_.end()) call_id = dialog->second;
    for (const auto& [id, c] : calls_) {
      if (!call_id.empty()) break;
      if (c.request.device_id == d.id && c.request.session != "Play" && c.state == Call::kAnswered &&
          (c.request.channel_id == x.device_id || x.device_id == d.id)) {
        call_id = id;
      }
    }
    auto call = calls_.find(call_id);
    if (call != calls_.end() && call->second.request.device_id == d.id) {
      out.calls.push_back({CallEvent::kFinished, call_id, "the device sent the whole recording (MediaStatus 121)", {}});
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

Result<Registrar::Output> Registrar::Invite(const CallRequest& r, int64_t now_ms, std::string* call_id, bool watched) {
  auto device = OnlineDevice(r.device_id, r.channel_id);
  if (!device.ok()) return device.error();
  GbDevice& d = **device;
  const std::string id = RandomHex(24);
  Call& call = calls_[id];
  call.request = r;
  call.watched = watched;
  call.since_ms = now_ms;
  call.waiting = "waiting for the device: it takes " + std::to_string(d.max_calls) + " call" +
                 (d.max_calls == 1 ? "" : "s") + " at a time";
  *call_id = id;
  Output out;
  PumpCalls(r.device_id, now_ms, out);
  return out;
}

int Registrar::ActiveCalls(const std::string& device_id) const {
  int n = 0;
  for (const auto& [id, c] : calls_) n += c.request.device_id == device_id && c.state != Call::kWaiting;
  return n;
}

int Registrar::AnsweredCalls(const std::string& device_id) const {
  int n = 0;
  for (const auto& [id, c] : calls_) n += c.request.device_id == device_id && c.state == Call::kAnswered;
  return n;
}

int Registrar::WaitingCalls(const std::string& device_id) const {
  int n = 0;
  for (const auto& [id, c] : calls_) n += c.request.device_id == device_id && c.state == Call::kWaiting;
  return n;
}

std::optional<std::string> Registrar::Waiting(const std::string& call_id) const {
  auto it = calls_.find(call_id);
  if (it == calls_.end() || it->second.state != Call::kWaiting) return std::nullopt;
  return it->second.waiting;
}

void Registrar::PumpCalls(const std::string& device_id, int64_t now_ms, Output& out) {
  auto device = devices_.find(device_id);
  if (device == devices_.end() || !device->second.registered || !device->second.online) return;
  GbDevice& d = device->second;
  // The next to go: watched first, then the one waiting longest.
  auto next_waiting = [&](bool watched_only) -> std::pair<const std::string, Call>* {
    std::pair<const std::string, Call>* best = nullptr;
    for (auto& entry : calls_) {
      const Call& c = entry.second;
      if (c.request.device_id != device_id || c.state != Call::kWaiting || (watched_only && !c.watched)) continue;
      if (!best || (c.watched && !best->second.watched) ||
          (c.watched == best->second.watched && c.since_ms < best->second.since_ms)) {
        best = &entry;
      }
    }
    return best;
  };
  int active = ActiveCalls(device_id);
  for (auto* next = next_waiting(false); next && active < d.max_calls; next = next_waiting(false), ++active) {
    SendInvite(next->first, next->second, now_ms, out);
  }
  // Full: a watched call takes the place of the unwatched call answered first.
  for (auto* next = next_waiting(true); next; next = next_waiting(true)) {
    Call* victim = nullptr;
    for (auto& [id, c] : calls_) {
      if (c.request.device_id == device_id && c.state == Call::kAnswered && !c.watched &&
          (!victim || c.since_ms < victim->since_ms)) {
        victim = &c;
      }
    }
    if (!victim) break;
    Requeue(*victim, "waiting for the device: its call went to watched channel " + next->second.request.channel_id,
            now_ms, out);
    SendInvite(next->first, next->second, now_ms, out);
  }
}

void Registrar::SendInvite(const std::string& call_id, Call& call, int64_t now_ms, Output& out) {
  GbDevice& d = devices_.at(call.request.device_id);
  const CallRequest& r = call.request;
  RequestHeaders h = HeadersTo(d, r.channel_id);
  if (call.dialogs++ == 0) h.call_id = call_id;  // the first dialog carries the call's ID
  h.from_tag = RandomHex(8);
  SipMessage q = SipMessage::Request("INVITE", UriOf(d, r.channel_id), h);
  q.SetHeader("Contact", "<sip:" + config_.id + "@" + h.via_host + ">");
  // Subject: sender:stream, receiver:stream (§I.2).
  q.AddHeader("Subject", r.channel_id + ":" + r.ssrc + "," + config_.id + ":0");
  MediaDescription offer;
  offer.owner = config_.id;
  offer.session = r.session;
  if (r.session != "Play") {
    offer.uri = r.channel_id + ":0";
    offer.start_s = r.start_ms / 1000;
    offer.end_s = (r.end_ms + 999) / 1000;
    offer.download_speed = r.session == "Download" ? r.download_speed : 0;
  }
  offer.ip = r.media_ip;
  offer.port = r.media_port;
  offer.transport = r.transport;
  offer.setup = "passive";
  offer.direction = "recvonly";
  offer.ssrc = r.ssrc;
  q.SetBody(BuildSdp(offer), "APPLICATION/SDP");
  call.state = Call::kInviting;
  call.dialog = h.call_id;
  call.from_tag = h.from_tag;
  call.to_tag.clear();
  call.cseq = call.dialog_cseq = h.cseq;
  call.heard = false;
  call.asked_ms = now_ms;
  call.invite = q.ToString();
  call.resend_every_ms = kInviteResendMs;
  call.resend_at_ms = now_ms + kInviteResendMs;
  dialogs_[h.call_id] = call_id;
  out.sends.emplace_back(d.peer, call.invite);
}

void Registrar::SendBye(const Call& call, const std::string& dialog, Output& out) {
  auto device = devices_.find(call.request.device_id);
  if (device == devices_.end()) return;
  RequestHeaders h = HeadersTo(device->second, call.request.channel_id);
  h.call_id = dialog;
  h.from_tag = call.from_tag;
  h.to_tag = call.to_tag;
  h.cseq = call.dialog_cseq + 1;
  out.sends.emplace_back(device->second.peer,
                         SipMessage::Request("BYE", UriOf(device->second, call.request.channel_id), h).ToString());
}

void Registrar::Requeue(Call& call, const std::string& why, int64_t now_ms, Output& out) {
  if (call.state == Call::kAnswered) SendBye(call, call.dialog, out);
  // An INVITE left unanswered: a late 200 finds no dialog and gets no ACK; the device gives up.
  dialogs_.erase(call.dialog);
  call.dialog.clear();
  call.state = Call::kWaiting;
  call.since_ms = now_ms;
  call.waiting = why;
}

void Registrar::LearnCallLimit(GbDevice& d, int limit, const std::string& how, Output& out) {
  limit = std::max(1, limit);
  if (d.calls_learned && d.max_calls <= limit) return;
  d.max_calls = limit;
  d.calls_learned = true;
  out.events.push_back({GbEvent::kCallLimit, d.id,
                        "takes " + std::to_string(limit) + " call" + (limit == 1 ? "" : "s") + " at a time (" + how +
                            "); further calls wait until it registers anew"});
}

Registrar::Output Registrar::SetWatched(const std::string& call_id, bool watched, int64_t now_ms) {
  Output out;
  auto it = calls_.find(call_id);
  if (it == calls_.end() || it->second.watched == watched) return out;
  it->second.watched = watched;
  // A waiting call now watched may take a place; a call no longer watched may give its up.
  PumpCalls(it->second.request.device_id, now_ms, out);
  return out;
}

void Registrar::OnInviteResponse(const SipMessage& m, const Peer& peer, int64_t now_ms, Output& out) {
  auto dialog = dialogs_.find(m.call_id());
  if (dialog == dialogs_.end()) return;  // not ours (any more)
  auto it = calls_.find(dialog->second);
  if (it == calls_.end()) return;
  Call& call = it->second;
  auto device = devices_.find(call.request.device_id);
  if (device == devices_.end() || !FromDevice(device->second, peer)) return;  // not from the device
  GbDevice& d = device->second;
  if (m.status() < 200) {
    call.heard = true;  // 100 Trying, 180 Ringing: alive, still deciding
    return;
  }
  if (m.status() >= 300) {
    // The transaction's ACK for a failure (RFC 3261 §17.1.1.3) matters only to retransmission.
    const int answered = AnsweredCalls(d.id);
    if (m.status() == 486 && answered > 0 && call.state == Call::kInviting) {
      LearnCallLimit(d, answered, "486 Busy Here while " + std::to_string(answered) + " ran", out);
      Requeue(call,
              "waiting for the device: it is busy with " + std::to_string(answered) + " other call" +
                  (answered == 1 ? "" : "s"),
              now_ms, out);
      return;
    }
    out.calls.push_back(
        {CallEvent::kFailed, it->first, "the device answered " + std::to_string(m.status()) + " to INVITE", {}});
    dialogs_.erase(dialog);
    calls_.erase(it);
    PumpCalls(d.id, now_ms, out);
    return;
  }
  call.to_tag = m.to_tag();
  RequestHeaders h = HeadersTo(d, call.request.channel_id);
  h.call_id = call.dialog;
  h.from_tag = call.from_tag;
  h.to_tag = call.to_tag;
  h.cseq = call.cseq;
  out.sends.emplace_back(d.peer, SipMessage::Request("ACK", UriOf(d, call.request.channel_id), h).ToString());
  if (call.state == Call::kAnswered) return;  // a retransmitted 200: ACK again, nothing new
  call.state = Call::kAnswered;
  call.since_ms = now_ms;
  auto answer = ParseSdp(m.body());
  if (!answer.ok()) {
    out.calls.push_back(
        {CallEvent::kFailed, it->first, "the device's answer is unusable: " + answer.error().message, {}});
    Output bye = Bye(it->first, now_ms);
    for (auto& send : bye.sends) out.sends.push_back(std::move(send));
    return;
  }
  out.calls.push_back({CallEvent::kAnswered, it->first, "", answer.value()});
}

void Registrar::OnBye(const SipMessage& m, const Peer& peer, Output& out) {
  auto dialog = dialogs_.find(m.call_id());
  auto it = dialog == dialogs_.end() ? calls_.end() : calls_.find(dialog->second);
  auto device = it == calls_.end() ? devices_.end() : devices_.find(it->second.request.device_id);
  if (it == calls_.end() || device == devices_.end() || !FromDevice(device->second, peer)) {
    out.sends.emplace_back(peer, SipMessage::ResponseTo(m, 481, "Call/Transaction Does Not Exist").ToString());
    return;
  }
  out.sends.emplace_back(peer, SipMessage::ResponseTo(m, 200, "OK").ToString());
  out.calls.push_back({CallEvent::kEnded, it->first, "the device hung up (BYE)", {}});
  dialogs_.erase(dialog);
  calls_.erase(it);
  // The slot is free; what waits goes on the next tick (no clock here).
  pump_.insert(device->first);
}

Result<Registrar::Output> Registrar::Info(const std::string& call_id, MansRtsp control) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return NotFound("no call " + call_id);
  Call& call = it->second;
  if (call.request.session != "Playback") return InvalidArgument("only a Playback call is steered");
  if (call.state != Call::kAnswered) return Unavailable("the device has not answered the call yet");
  auto device = devices_.find(call.request.device_id);
  if (device == devices_.end()) return NotFound("device " + call.request.device_id + " is gone");
  control.cseq = ++call.control_cseq;
  RequestHeaders h = HeadersTo(device->second, call.request.channel_id);
  h.call_id = call.dialog;
  h.from_tag = call.from_tag;
  h.to_tag = call.to_tag;
  h.cseq = ++call.dialog_cseq;
  SipMessage info = SipMessage::Request("INFO", UriOf(device->second, call.request.channel_id), h);
  info.SetBody(BuildMansRtsp(control), "Application/MANSRTSP");
  Output out;
  out.sends.emplace_back(device->second.peer, info.ToString());
  return out;
}

Registrar::Output Registrar::Bye(std::string call_id, int64_t now_ms) {
  Output out;
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return out;
  const Call call = it->second;
  calls_.erase(it);
  dialogs_.erase(call.dialog);
  // An unanswered INVITE's 200 gets no ACK: the device gives up.
  if (call.state == Call::kAnswered) SendBye(call, call.dialog, out);
  if (call.state != Call::kWaiting) PumpCalls(call.request.device_id, now_ms, out);
  return out;
}

void Registrar::AskCatalog(GbDevice& d, int64_t now_ms, Output& out) {
  d.gathering.clear();  // the catalog held stays until this one is complete: calls go on
  d.catalog_received = 0;
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

Result<GbDevice*> Registrar::OnlineDevice(const std::string& device_id, const std::string& channel_id) {
  auto it = devices_.find(device_id);
  if (it == devices_.end() || !it->second.registered) return Error{"device " + device_id + " is not registered"};
  if (!it->second.online) return Error{"device " + device_id + " is offline"};
  if (channel_id != device_id && !it->second.catalog.count(channel_id)) {
    return Error{"device " + device_id + " has no channel " + channel_id};
  }
  return &it->second;
}

Result<Registrar::Output> Registrar::Ptz(const std::string& device_id, const std::string& channel_id,
                                         const std::string& ptz_cmd) {
  const std::string target = channel_id.empty() ? device_id : channel_id;
  auto device = OnlineDevice(device_id, target);
  if (!device.ok()) return device.error();
  Output out;
  Manscdp body;
  body.root = "Control";
  body.cmd_type = "DeviceControl";
  body.sn = sn_++;
  body.device_id = target;
  body.ptz_cmd = ptz_cmd;
  SendMessage(**device, target, body, out);
  return out;
}

Result<Registrar::Output> Registrar::QueryRecords(const std::string& device_id, const std::string& channel_id,
                                                  int64_t from_ms, int64_t to_ms, int64_t now_ms, long* query) {
  auto device = OnlineDevice(device_id, channel_id);
  if (!device.ok()) return device.error();
  Output out;
  Manscdp body;
  body.root = "Query";
  body.cmd_type = "RecordInfo";
  body.sn = sn_++;
  body.device_id = channel_id;
  body.start_time = GbTime(from_ms);
  body.end_time = GbTime(to_ms);
  body.record_type = "all";
  SendMessage(**device, channel_id, body, out);
  RecordQuery& q = record_queries_[body.sn];
  q.device_id = device_id;
  q.asked_ms = q.heard_ms = now_ms;
  *query = body.sn;
  return out;
}

void Registrar::FinishRecords(long sn, bool complete, const std::string& detail, Output& out) {
  auto it = record_queries_.find(sn);
  if (it == record_queries_.end()) return;
  RecordsResult r;
  r.query = sn;
  r.complete = complete;
  r.detail = detail;
  for (auto& [key, item] : it->second.items) r.items.push_back(std::move(item));  // keys sort by start
  record_queries_.erase(it);
  out.records.push_back(std::move(r));
}

void Registrar::SetOnline(GbDevice& d, bool online, const std::string& why, Output& out) {
  if (d.online == online) return;
  d.online = online;
  out.events.push_back({online ? GbEvent::kOnline : GbEvent::kOffline, d.id, why});
}

void Registrar::CompleteCatalog(GbDevice& d, const std::string& why, int64_t now_ms, Output& out) {
  d.catalog = d.gathering;
  d.catalog_complete = true;
  out.events.push_back({GbEvent::kCatalog, d.id, std::to_string(d.catalog.size()) + " channels" + why});
  if (querying_.erase(d.id)) PumpQueries(now_ms, out);
}

Registrar::Output Registrar::Tick(int64_t now_ms) {
  Output out;
  const int64_t silence_ms = int64_t(config_.keepalive_s) * config_.keepalive_misses * 1000;
  for (auto& [id, d] : devices_) {
    if (!d.registered) continue;
    if (now_ms >= d.expires_at_ms + kRegistrationGraceMs) {
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
  for (auto& [id, d] : devices_) {
    if (d.registered && !d.catalog_complete && d.catalog_received > 0 &&
        now_ms - d.catalog_heard_ms >= kCatalogQuietMs) {
      CompleteCatalog(d,
                      " (SumNum said " + std::to_string(d.catalog_sum) + "; no more came for " +
                          std::to_string(kCatalogQuietMs / 1000) + " s)",
                      now_ms, out);
    }
  }
  std::vector<std::pair<long, std::string>> finished;
  for (const auto& [sn, q] : record_queries_) {
    if (q.received == 0 && now_ms - q.asked_ms >= kRecordQueryTimeoutMs) {
      finished.emplace_back(sn, "the device did not answer in " + std::to_string(kRecordQueryTimeoutMs / 1000) + " s");
    } else if (q.received > 0 && now_ms - q.heard_ms >= kCatalogQuietMs) {
      finished.emplace_back(sn, std::to_string(q.received) + " of SumNum " + std::to_string(q.sum) + "; no more came");
    }
  }
  for (const auto& [sn, why] : finished) FinishRecords(sn, false, why, out);
  for (auto it = calls_.begin(); it != calls_.end();) {
    Call& c = it->second;
    const int64_t waited = now_ms - c.asked_ms;
    // Over UDP an INVITE may be lost: sent again, the same bytes, until the device says
    // anything (RFC 3261 §17.1.1.2, timer A) — so that silence means it ignores us.
    auto device = devices_.find(c.request.device_id);
    if (c.state == Call::kInviting && !c.heard && now_ms >= c.resend_at_ms && device != devices_.end() &&
        device->second.peer.transport == "udp") {
      out.sends.emplace_back(device->second.peer, c.invite);
      c.resend_every_ms = std::min<int64_t>(c.resend_every_ms * 2, 4000);
      c.resend_at_ms = now_ms + c.resend_every_ms;
    }
    if (c.state == Call::kInviting && !c.heard && waited > kIgnoredInviteMs) {
      const int others = device == devices_.end() ? 0 : AnsweredCalls(device->first);
      if (others > 0) {
        LearnCallLimit(device->second, others, "it ignored an INVITE while " + std::to_string(others) + " ran", out);
        Requeue(c,
                "waiting for the device: it takes " + std::to_string(device->second.max_calls) + " call" +
                    (device->second.max_calls == 1 ? "" : "s") + " at a time",
                now_ms, out);
        ++it;
        continue;
      }
    }
    if (c.state == Call::kInviting && waited > kInviteTimeoutMs) {
      out.calls.push_back({CallEvent::kFailed, it->first, "no answer to INVITE", {}});
      pump_.insert(c.request.device_id);
      dialogs_.erase(c.dialog);
      it = calls_.erase(it);
    } else {
      ++it;
    }
  }
  std::set<std::string> pump;
  pump.swap(pump_);
  for (const std::string& device_id : pump) PumpCalls(device_id, now_ms, out);
  return out;
}

}  // namespace xl::gb28181
