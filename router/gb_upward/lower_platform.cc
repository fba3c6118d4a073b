#include "router/gb_upward/lower_platform.h"

#include <algorithm>

#include "proto/wire/wire.h"
#include "router/gb_upward/upper_catalog.h"

namespace xl::router {

using gb28181::CatalogItem;
using gb28181::Manscdp;
using gb28181::SipMessage;

namespace {

// How an alert of `kind` is told upward (§A.2.5: method 5 video, 2 device; its type per method).
struct AlarmCode {
  int priority, method, type;
};
AlarmCode AlarmCodeOf(wire::AlertKind kind) {
  switch (kind) {
    case wire::ALERT_KIND_MOTION:
      return {3, 5, 2};  // video alarm: moving-object detection
    case wire::ALERT_KIND_FACE:
    case wire::ALERT_KIND_OBJECT:
      return {2, 5, 6};  // video alarm: intrusion (a person or vehicle in view)
    case wire::ALERT_KIND_SIGNAL_LOSS:
      return {2, 2, 1};  // device alarm: video loss
    case wire::ALERT_KIND_COVERED:
      return {2, 2, 2};  // device alarm: tampering
    default:
      return {4, 5, 11};  // video alarm: video anomaly (frozen, blurred, brightness, scene change)
  }
}

// A Warning header (RFC 3261 §20.43) saying `why`: its text is quoted, so quotes, backslashes
// and control characters (a request URI may smuggle CR LF) become spaces; at most 200 bytes.
std::string Warning(const std::string& why) {
  std::string text = why.substr(0, 200);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\' || c == 0x7f) c = ' ';
  }
  return "399 xueliang \"" + text + "\"";
}

bool SameIds(const std::map<std::string, size_t>& index, const std::set<std::string>& ids) {
  return index.size() == ids.size() && std::equal(index.begin(), index.end(), ids.begin(),
                                                  [](const auto& a, const std::string& b) { return a.first == b; });
}

bool SameItem(const CatalogItem& a, const CatalogItem& b) {
  return a.name == b.name && a.parent_id == b.parent_id && a.civil_code == b.civil_code && a.ptz_type == b.ptz_type &&
         a.model == b.model && a.business_group_id == b.business_group_id;
}

}  // namespace

const char* LowerPlatform::StateName(State s) {
  switch (s) {
    case State::kRegistering:
      return "registering";
    case State::kRegistered:
      return "registered";
    case State::kRefused:
      return "refused";
  }
  return "?";
}

LowerPlatform::LowerPlatform(GbUpperConfig config, std::string local)
    : config_(std::move(config)), local_(std::move(local)) {}

SipMessage LowerPlatform::Request(const std::string& method, const std::string& call_id, long cseq,
                                  const std::string& our_tag, const std::string& upper_tag) {
  gb28181::RequestHeaders h;
  h.transport = config_.transport == "tcp" ? "TCP" : "UDP";
  h.via_host = local_;
  h.from_uri = Uri(config_.platform_id);
  h.from_tag = our_tag;
  h.to_uri = Uri(method == "REGISTER" ? config_.platform_id : config_.upper_id);  // REGISTER: To is who registers
  h.to_tag = upper_tag;
  h.call_id = call_id;
  h.cseq = cseq;
  return SipMessage::Request(method, Uri(config_.upper_id), h);
}

void LowerPlatform::SetState(State s, const std::string& why, int64_t now_ms, Output& out) {
  if (s == state_ && started_) return;
  started_ = true;
  state_ = s;
  since_ms_ = now_ms;
  out.log.push_back(std::string(StateName(s)) + " at upper platform " + config_.upper_id + " (" + config_.upper_host +
                    ":" + std::to_string(config_.upper_port) + "): " + why);
}

void LowerPlatform::Register(const gb28181::DigestCredentials* challenge, int64_t now_ms, Output& out) {
  if (!challenge) register_call_id_ = gb28181::RandomHex(24);
  SipMessage r = Request("REGISTER", register_call_id_, register_cseq_ = cseq_++);
  r.SetHeader("Contact", "<sip:" + config_.platform_id + "@" + local_ + ">");
  r.AddHeader("Expires", std::to_string(config_.expires_s));
  if (challenge) {
    gb28181::DigestCredentials c = *challenge;
    c.username = config_.platform_id;
    c.uri = Uri(config_.upper_id);
    c.algorithm = "MD5";
    const bool qop = c.qop.find("auth") != std::string::npos;
    c.qop = qop ? "auth" : "";
    c.nc = qop ? "00000001" : "";
    c.cnonce = qop ? gb28181::RandomHex(16) : "";
    c.response = gb28181::DigestResponse(c, config_.password, "REGISTER");
    tried_nonce_ = c.nonce;
    std::string auth = "Digest username=\"" + c.username + "\",realm=\"" + c.realm + "\",nonce=\"" + c.nonce +
                       "\",uri=\"" + c.uri + "\",response=\"" + c.response + "\",algorithm=MD5";
    if (qop) auth += ",qop=auth,nc=" + c.nc + ",cnonce=\"" + c.cnonce + "\"";
    r.SetHeader("Authorization", auth);
  } else {
    tried_nonce_.clear();
  }
  out.sends.push_back(r.ToString());
  register_pending_ = true;
  register_sent_ms_ = now_ms;
}

LowerPlatform::Output LowerPlatform::Reset(int64_t now_ms, const std::string& why) {
  Output out;
  register_pending_ = false;
  next_register_ms_ = now_ms;
  keepalive_call_ids_.clear();
  if (state_ == State::kRegistered) SetState(State::kRegistering, why, now_ms, out);
  return out;
}

LowerPlatform::Output LowerPlatform::Tick(int64_t now_ms) {
  Output out;
  if (!started_) SetState(State::kRegistering, "starting", now_ms, out);
  if (register_pending_ && now_ms - register_sent_ms_ >= kAnswerWaitMs) {
    register_pending_ = false;  // lost, or the upper is not there
    if (state_ == State::kRegistered) {
      SetState(State::kRegistering, "no answer to the registration refresh", now_ms, out);
    } else if (since_ms_ != now_ms) {
      out.log.push_back("no answer from upper platform " + config_.upper_id + " at " + config_.upper_host + ":" +
                        std::to_string(config_.upper_port) + "; registering again");
    }
    next_register_ms_ = now_ms + kRetryMs / 2;
  }
  if (!register_pending_ && now_ms >= next_register_ms_) Register(nullptr, now_ms, out);
  if (state_ == State::kRegistered && now_ms >= next_keepalive_ms_) {
    next_keepalive_ms_ = now_ms + int64_t(config_.keepalive_s) * 1000;
    if (keepalive_call_ids_.size() >= size_t(config_.keepalive_misses)) {
      keepalive_call_ids_.clear();
      SetState(State::kRegistering, std::to_string(config_.keepalive_misses) + " keepalives unanswered", now_ms, out);
      Register(nullptr, now_ms, out);
    } else {
      Manscdp k;
      k.root = "Notify";
      k.cmd_type = "Keepalive";
      k.sn = sn_++;
      k.device_id = config_.platform_id;
      k.status = "OK";
      const std::string call_id = gb28181::RandomHex(24);
      SipMessage r = Request("MESSAGE", call_id, cseq_++);
      r.SetBody(gb28181::BuildManscdp(k), "Application/MANSCDP+xml");
      out.sends.push_back(r.ToString());
      keepalive_call_ids_.insert(call_id);
    }
  }
  // Our 200s to INVITEs not yet ACKed: again each second (UDP); given up after kAckWaitMs.
  for (auto it = calls_.begin(); it != calls_.end();) {
    Call& c = it->second;
    if (!c.answer.empty() && !c.acked && now_ms - c.answered_ms >= kAckWaitMs) {
      out.log.push_back("call for " + c.camera + " from the upper platform never ACKed: ended");
      out.ended.push_back(it->first);
      it = calls_.erase(it);
      continue;
    }
    if (!c.answer.empty() && !c.acked && config_.transport == "udp" && now_ms >= c.resend_ms) {
      out.sends.push_back(c.answer);
      c.resend_ms = now_ms + 1000;
    }
    ++it;
  }
  if (push_at_ms_ >= 0 && now_ms >= push_at_ms_ && state_ == State::kRegistered) {
    SendCatalog(sn_++, "unasked: cameras added or removed", out);
  }
  for (size_t i = 0; i < kMessagesPerTick && !queued_.empty(); ++i) {
    out.sends.push_back(std::move(queued_.front()));
    queued_.pop_front();
  }
  return out;
}

void LowerPlatform::Queue(std::string bytes) {
  if (queued_.size() >= kMaxQueued) {
    ++stats_.dropped;
    return;
  }
  queued_.push_back(std::move(bytes));
}

void LowerPlatform::SendMessage(const Manscdp& body, bool paced, Output& out) {
  SipMessage r = Request("MESSAGE", gb28181::RandomHex(24), cseq_++);
  r.SetBody(gb28181::BuildManscdp(body), "Application/MANSCDP+xml");
  if (paced) Queue(r.ToString());
  else out.sends.push_back(r.ToString());
}

LowerPlatform::Output LowerPlatform::OnMessage(const SipMessage& m, int64_t now_ms, int64_t wall_ms) {
  Output out;
  if (!m.is_request()) {
    OnResponse(m, now_ms, out);
    return out;
  }
  const std::string method = m.method();
  if (method == "ACK") {  // no answer to an ACK
    auto it = calls_.find(m.call_id());
    if (it != calls_.end() && !it->second.acked && !it->second.answer.empty()) {
      it->second.acked = true;
      out.started.push_back(it->first);
    }
    return out;
  }
  if (m.from_user() != config_.upper_id) {
    ++stats_.refused;
    out.sends.push_back(SipMessage::ResponseTo(m, 403, "Forbidden").ToString());
    return out;
  }
  if (method == "MESSAGE") {
    OnMessageRequest(m, wall_ms, out);
  } else if (method == "INVITE") {
    OnInvite(m, out);
  } else if (method == "BYE" || method == "CANCEL") {
    auto it = calls_.find(m.call_id());
    if (it == calls_.end()) {
      out.sends.push_back(SipMessage::ResponseTo(m, 481, "Call/Transaction Does Not Exist").ToString());
      return out;
    }
    out.sends.push_back(SipMessage::ResponseTo(m, 200, "OK").ToString());
    if (method == "CANCEL" && it->second.answer.empty()) {
      out.sends.push_back(SipMessage::ResponseTo(*it->second.invite, 487, "Request Terminated").ToString());
    }
    out.log.push_back("call for " + it->second.camera + " ended by the upper platform (" + method + ")");
    out.ended.push_back(it->first);
    calls_.erase(it);
  } else if (method == "SUBSCRIBE") {
    OnSubscribe(m, now_ms, out);
  } else if (method == "OPTIONS") {
    out.sends.push_back(SipMessage::ResponseTo(m, 200, "OK").ToString());
  } else {
    ++stats_.refused;
    out.sends.push_back(SipMessage::ResponseTo(m, 405, "Method Not Allowed").ToString());
  }
  return out;
}

void LowerPlatform::OnResponse(const SipMessage& m, int64_t now_ms, Output& out) {
  if (m.cseq_method() == "MESSAGE") {
    if (m.status() >= 200 && keepalive_call_ids_.count(m.call_id())) {
      keepalive_call_ids_.clear();  // answered: earlier ones lost are forgiven
    }
    return;
  }
  if (m.cseq_method() != "REGISTER" || m.call_id() != register_call_id_ || m.cseq() != register_cseq_) return;
  if (m.status() < 200) return;
  register_pending_ = false;
  if (m.status() == 401 || m.status() == 407) {
    auto challenge = m.www_authenticate();
    if (!challenge) {
      SetState(State::kRefused, "a 401 without a digest challenge", now_ms, out);
      next_register_ms_ = now_ms + kRetryMs;
      return;
    }
    if (!tried_nonce_.empty() && challenge->nonce == tried_nonce_) {
      // Our answer to this very challenge was wrong: the password.
      SetState(State::kRefused, "wrong password (the digest was refused)", now_ms, out);
      next_register_ms_ = now_ms + kRetryMs;
      return;
    }
    Register(&*challenge, now_ms, out);
    return;
  }
  if (m.status() != 200) {
    SetState(State::kRefused, std::to_string(m.status()) + " to REGISTER", now_ms, out);
    next_register_ms_ = now_ms + kRetryMs;
    return;
  }
  const long expires = std::clamp<long>(m.expires().value_or(config_.expires_s), 10, 86400);
  next_register_ms_ = now_ms + expires * 1000 / 2;  // refreshed at half-life
  ++stats_.registrations;
  if (state_ != State::kRegistered) {
    keepalive_call_ids_.clear();
    next_keepalive_ms_ = now_ms + int64_t(config_.keepalive_s) * 1000;
    SetState(State::kRegistered, "digest accepted, expires in " + std::to_string(expires) + " s", now_ms, out);
  }
}

size_t LowerPlatform::cameras() const { return size_t(std::count_if(catalog_.begin(), catalog_.end(), IsCameraItem)); }

const CatalogItem* LowerPlatform::Item(const std::string& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &catalog_[it->second];
}

std::string LowerPlatform::ChannelOf(const SipMessage& m) const {
  // The channel is the request URI's user; some platforms name it in the To header only.
  const std::string ruser = m.request_user();
  if (Item(ruser)) return ruser;
  return Item(m.to_user()) ? m.to_user() : ruser;
}

void LowerPlatform::OnMessageRequest(const SipMessage& m, int64_t wall_ms, Output& out) {
  auto parsed = gb28181::ParseManscdp(m.body());
  if (!parsed.ok()) {
    ++stats_.refused;
    out.sends.push_back(SipMessage::ResponseTo(m, 400, "Bad Request").ToString());
    return;
  }
  const Manscdp& q = parsed.value();
  const bool ours = q.device_id == config_.platform_id;
  const CatalogItem* item = Item(q.device_id);
  if (!ours && !item && q.root != "Response") {
    ++stats_.refused;
    out.sends.push_back(SipMessage::ResponseTo(m, 404, "Not Found").ToString());
    return;
  }
  if (q.root == "Control" && q.cmd_type == "DeviceControl" && !q.ptz_cmd.empty()) {
    auto ptz = gb28181::ParsePtzCmd(q.ptz_cmd);
    if (!ptz.ok() || !item || !IsCameraItem(*item)) {
      ++stats_.refused;
      out.sends.push_back(SipMessage::ResponseTo(m, 400, "Bad Request").ToString());
      out.log.push_back("PTZ from the upper platform refused: " +
                        (ptz.ok() ? q.device_id + " is not a camera" : ptz.error().message));
      return;
    }
    out.sends.push_back(SipMessage::ResponseTo(m, 200, "OK").ToString());
    ++stats_.ptz;
    out.ptz.push_back({q.device_id, ptz.value()});
    return;
  }
  out.sends.push_back(SipMessage::ResponseTo(m, 200, "OK").ToString());
  if (q.root != "Query") return;  // responses, notifies and other controls: taken, nothing to do
  Manscdp r;
  r.root = "Response";
  r.cmd_type = q.cmd_type;
  r.sn = q.sn;
  r.device_id = q.device_id;
  if (q.cmd_type == "Catalog") {
    if (ours) {
      SendCatalog(q.sn, "asked by the upper platform", out);
    } else {  // a channel's: itself alone
      r.sum_num = 1;
      r.items = {*item};
      SendMessage(r, true, out);
    }
  } else if (q.cmd_type == "DeviceInfo") {
    r.status = "OK";
    r.device_name = ours ? config_.name : item->name;
    r.manufacturer = "Xueliang";
    r.model = ours ? "xl-router" : item->model;
    r.firmware = "1.0";
    r.channels = ours ? long(cameras()) : 1;
    SendMessage(r, false, out);
  } else if (q.cmd_type == "DeviceStatus") {
    r.status = "OK";
    r.online = ours || item->status == "ON" ? "ONLINE" : "OFFLINE";
    r.work_status = "OK";
    r.encode = "ON";
    r.record = "OFF";
    r.device_time = gb28181::GbDate(wall_ms).substr(0, 19);
    SendMessage(r, false, out);
  } else if (q.cmd_type == "RecordInfo") {
    r.sum_num = 0;  // recordings are not served upward
    SendMessage(r, false, out);
  }
}

void LowerPlatform::SendCatalog(long sn, const std::string& why, Output& out) {
  Manscdp r;
  r.root = "Response";
  r.cmd_type = "Catalog";
  r.sn = sn;
  r.device_id = config_.platform_id;
  r.sum_num = long(catalog_.size());
  const size_t page = size_t(config_.catalog_page);
  for (size_t at = 0; at < catalog_.size() || at == 0; at += page) {
    r.items.assign(catalog_.begin() + long(std::min(at, catalog_.size())),
                   catalog_.begin() + long(std::min(at + page, catalog_.size())));
    SendMessage(r, true, out);
    if (catalog_.empty()) break;
  }
  ++stats_.catalogs;
  out.log.push_back("catalog to the upper platform (" + why + "): " + std::to_string(catalog_.size()) + " items in " +
                    std::to_string(std::max<size_t>(1, (catalog_.size() + page - 1) / page)) + " messages");
  sent_ids_.clear();
  for (const CatalogItem& i : catalog_) sent_ids_.insert(i.device_id);
  push_at_ms_ = -1;
}

void LowerPlatform::OnSubscribe(const SipMessage& m, int64_t now_ms, Output& out) {
  auto parsed = gb28181::ParseManscdp(m.body());
  const std::string what = parsed.ok() ? parsed.value().cmd_type : "";
  if (what != "Catalog" && what != "Alarm") {
    ++stats_.refused;
    out.sends.push_back(SipMessage::ResponseTo(m, 489, "Bad Event").ToString());
    return;
  }
  Subscription& sub = what == "Catalog" ? catalog_sub_ : alarm_sub_;
  const long expires = std::clamp<long>(m.expires().value_or(3600), 0, 86400);
  SipMessage ok = SipMessage::ResponseTo(m, 200, "OK");
  if (sub.call_id == m.call_id() && !sub.our_tag.empty() && m.to_tag() == sub.our_tag) {
    ok.SetHeader("To", "<" + Uri(config_.platform_id) + ">;tag=" + sub.our_tag);  // a refresh: the same dialog
  }
  ok.AddHeader("Expires", std::to_string(expires));
  sub.call_id = m.call_id();
  sub.upper_tag = m.from_tag();
  sub.our_tag = ok.to_tag();
  sub.event = m.header("Event").value_or(what);
  sub.until_ms = now_ms + expires * 1000;
  out.sends.push_back(ok.ToString());
  out.log.push_back(expires > 0 ? "the upper platform subscribed to " + what + " for " + std::to_string(expires) + " s"
                                : "the upper platform ended its " + what + " subscription");
}

void LowerPlatform::Notify(Subscription& sub, const Manscdp& body, int64_t now_ms) {
  SipMessage r = Request("NOTIFY", sub.call_id, cseq_++, sub.our_tag, sub.upper_tag);
  r.AddHeader("Event", sub.event);
  r.AddHeader("Subscription-State",
              "active;expires=" + std::to_string(std::max<int64_t>(0, (sub.until_ms - now_ms) / 1000)));
  r.SetBody(gb28181::BuildManscdp(body), "Application/MANSCDP+xml");
  Queue(r.ToString());
}

LowerPlatform::Output LowerPlatform::SetCatalog(std::vector<CatalogItem> items, int64_t now_ms) {
  Output out;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < items.size(); ++i) index[items[i].device_id] = i;
  if (catalog_sub_.Active(now_ms)) {
    std::vector<CatalogItem> changes;
    for (const CatalogItem& n : items) {
      const CatalogItem* was = Item(n.device_id);
      CatalogItem c = n;
      if (!was) c.event = "ADD";
      else if (!SameItem(*was, n)) c.event = "UPDATE";
      else if (was->status != n.status) c.event = n.status == "ON" ? "ON" : "OFF";
      else continue;
      changes.push_back(std::move(c));
    }
    for (const CatalogItem& o : catalog_) {
      if (index.count(o.device_id)) continue;
      CatalogItem c;
      c.device_id = o.device_id;
      c.event = "DEL";
      changes.push_back(std::move(c));
    }
    for (size_t at = 0; at < changes.size(); at += size_t(config_.catalog_page)) {
      Manscdp n;
      n.root = "Notify";
      n.cmd_type = "Catalog";
      n.sn = sn_++;
      n.device_id = config_.platform_id;
      n.items.assign(changes.begin() + long(at),
                     changes.begin() + long(std::min(changes.size(), at + size_t(config_.catalog_page))));
      n.sum_num = long(n.items.size());
      Notify(catalog_sub_, n, now_ms);
    }
    stats_.notifies += changes.size();
  }
  // Without a subscription the upper hears of cameras added or removed by the whole catalog
  // again, once the changes have settled (status changes: subscribers and DeviceStatus only).
  const bool changed =
      index.size() != index_.size() || !std::equal(index.begin(), index.end(), index_.begin(),
                                                   [](const auto& a, const auto& b) { return a.first == b.first; });
  catalog_ = std::move(items);
  index_ = std::move(index);
  // Calls of cameras no longer here (removed, disabled) are hung up.
  std::vector<std::pair<std::string, std::string>> gone;
  for (const auto& [id, c] : calls_) {
    if (!Item(c.camera)) gone.emplace_back(id, c.camera);
  }
  for (const auto& [id, camera] : gone) {
    Output bye = HangUp(id, "camera " + camera + " is no longer here");
    for (std::string& b : bye.sends) out.sends.push_back(std::move(b));
    for (std::string& l : bye.log) out.log.push_back(std::move(l));
    out.ended.push_back(id);
  }
  if (catalog_sub_.Active(now_ms) || state_ != State::kRegistered) {
    push_at_ms_ = -1;
  } else if (changed || (push_at_ms_ < 0 && !SameIds(index_, sent_ids_))) {
    push_at_ms_ = now_ms + kCatalogPushMs;
  }
  return out;
}

void LowerPlatform::OnInvite(const SipMessage& m, Output& out) {
  if (auto again = calls_.find(m.call_id()); again != calls_.end()) {
    if (!again->second.answer.empty()) out.sends.push_back(again->second.answer);  // our 200 was lost
    return;
  }
  auto refuse = [&](int code, const char* reason, const std::string& why) {
    ++stats_.refused;
    SipMessage r = SipMessage::ResponseTo(m, code, reason);
    r.AddHeader("Warning", Warning(why));
    out.sends.push_back(r.ToString());
    out.log.push_back("INVITE from the upper platform refused: " + why);
  };
  const std::string camera = ChannelOf(m);
  const CatalogItem* item = Item(camera);
  if (!item || !IsCameraItem(*item)) return refuse(404, "Not Found", "no camera " + camera + " here");
  auto offer = gb28181::ParseSdp(m.body());
  if (!offer.ok()) return refuse(488, "Not Acceptable Here", "the offer: " + offer.error().message);
  if (offer.value().session != "Play") {
    return refuse(488, "Not Acceptable Here", "s=" + offer.value().session + ": only live video (Play) is served");
  }
  if (offer.value().ssrc.empty()) return refuse(488, "Not Acceptable Here", "the offer has no y= SSRC");
  if (calls_.size() >= size_t(config_.max_calls)) {
    return refuse(486, "Busy Here", std::to_string(calls_.size()) + " calls already (max_calls)");
  }
  out.sends.push_back(SipMessage::ResponseTo(m, 100, "Trying").ToString());
  Call& c = calls_[m.call_id()];
  c.camera = camera;
  c.upper_tag = m.from_tag();
  c.invite_cseq = m.cseq();
  c.ssrc = offer.value().ssrc;
  auto kept = SipMessage::Parse(m.ToString());  // SipMessage is not copied: kept as parsed again
  if (kept.ok()) c.invite.emplace(std::move(kept.value()));
  out.invites.push_back({m.call_id(), camera, offer.value()});
}

LowerPlatform::Output LowerPlatform::Answer(const std::string& call_id, gb28181::MediaDescription ours,
                                            int64_t now_ms) {
  Output out;
  auto it = calls_.find(call_id);
  if (it == calls_.end() || !it->second.answer.empty()) return out;
  Call& c = it->second;
  if (!c.invite) return out;
  SipMessage ok = SipMessage::ResponseTo(*c.invite, 200, "OK");
  ok.SetHeader("Contact", "<sip:" + config_.platform_id + "@" + local_ + ">");
  ours.owner = c.camera;
  ours.session = "Play";
  ours.direction = "sendonly";
  ours.ssrc = c.ssrc;
  ok.SetBody(gb28181::BuildSdp(ours), "application/sdp");
  c.our_tag = ok.to_tag();
  c.answer = ok.ToString();
  c.answered_ms = now_ms;
  c.resend_ms = now_ms + 1000;
  ++stats_.invites;
  out.sends.push_back(c.answer);
  out.log.push_back("live video of " + c.camera + " for the upper platform: " + ours.transport +
                    (ours.transport == "tcp" ? " (" + ours.setup + ")" : "") + " SSRC " + ours.ssrc);
  return out;
}

LowerPlatform::Output LowerPlatform::Reject(const std::string& call_id, int code, const std::string& reason,
                                            const std::string& why) {
  Output out;
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return out;
  if (it->second.invite && it->second.answer.empty()) {
    SipMessage r = SipMessage::ResponseTo(*it->second.invite, code, reason);
    r.AddHeader("Warning", Warning(why));
    out.sends.push_back(r.ToString());
  }
  ++stats_.refused;
  out.log.push_back("live video of " + it->second.camera + " for the upper platform refused: " + why);
  calls_.erase(it);
  return out;
}

LowerPlatform::Output LowerPlatform::HangUp(const std::string& call_id, const std::string& why) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return {};
  if (it->second.answer.empty()) return Reject(call_id, 500, "Server Internal Error", why);
  Output out;
  const Call& c = it->second;
  out.sends.push_back(Request("BYE", call_id, c.invite_cseq + 1, c.our_tag, c.upper_tag).ToString());
  out.log.push_back("call for " + c.camera + " hung up: " + why);
  calls_.erase(it);
  return out;
}

LowerPlatform::Output LowerPlatform::Alarm(const wire::Alert& alert, int64_t now_ms, int64_t wall_ms) {
  Output out;
  if (alert.phase() != wire::ALERT_PHASE_START || state_ != State::kRegistered || !alarms_wanted(now_ms)) return out;
  // A camera not in the catalog yet (it joined this second) still has its alarm told.
  const CatalogItem* item = Item(alert.camera_id());
  const std::string name = item ? item->name : alert.camera_name();
  const AlarmCode code = AlarmCodeOf(alert.kind());
  Manscdp n;
  n.root = "Notify";
  n.cmd_type = "Alarm";
  n.sn = sn_++;
  n.device_id = alert.camera_id();
  n.alarm_priority = code.priority;
  n.alarm_method = code.method;
  n.alarm_type = code.type;
  n.alarm_time = gb28181::GbDate(alert.start_ms() > 0 ? alert.start_ms() : wall_ms).substr(0, 19);
  n.alarm_description =
      std::string(KindName(alert.kind())) + " " + name + (alert.site().empty() ? "" : " (" + alert.site() + ")");
  SendMessage(n, false, out);
  ++stats_.alarms;
  return out;
}

}  // namespace xl::router
