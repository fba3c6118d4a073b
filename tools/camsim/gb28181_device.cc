#include "tools/camsim/gb28181_device.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/wall_time.h"
#include "proto/gb28181/manscdp.h"
#include "proto/gb28181/mansrtsp.h"
#include "proto/gb28181/sdp.h"

namespace xl::camsim {

using gb28181::DigestCredentials;
using gb28181::Manscdp;
using gb28181::SipMessage;

using gb28181::RandomHex;

Result<std::unique_ptr<GbDeviceSim>> GbDeviceSim::Start(GbDeviceOptions options) {
  std::unique_ptr<GbDeviceSim> d(new GbDeviceSim(std::move(options)));
  d->started_ms_ = NowMs();  // the recordings it keeps are laid out from now
  const GbDeviceOptions& o = d->o_;
  d->server_.reset(g_inet_socket_address_new_from_string(o.server_host.c_str(), guint(o.server_port)));
  if (!d->server_) return Error{"gbsim: bad platform address " + o.server_host};
  if (Status s = d->Open(); !s.ok()) return Error{s.message()};
  d->call_id_ = RandomHex(24);
  spdlog::info("gbsim {}: {} channels, registering to {} over {} from {}", o.device_id, o.channels,
               o.server_host + ":" + std::to_string(o.server_port), o.transport, d->local_);
  d->Register(nullptr);
  return d;
}

Status GbDeviceSim::Open() {
  GError* err = nullptr;
  source_.reset();
  if (o_.transport == "tcp") {
    gst::GObjectPtr<GSocketClient> client(g_socket_client_new());
    tcp_.reset(g_socket_client_connect(client.get(), G_SOCKET_CONNECTABLE(server_.get()), nullptr, &err));
    if (!tcp_) {
      const std::string reason = err ? err->message : "connect";
      g_clear_error(&err);
      return Error{"gbsim: cannot connect to " + o_.server_host + ":" + std::to_string(o_.server_port) + ": " + reason};
    }
    socket_.reset(G_SOCKET(g_object_ref(g_socket_connection_get_socket(tcp_.get()))));
  } else {
    socket_.reset(g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &err));
    gst::GObjectPtr<GInetAddress> loopback(g_inet_address_new_from_string("127.0.0.1"));
    gst::GObjectPtr<GSocketAddress> local(g_inet_socket_address_new(loopback.get(), 0));
    // No SO_REUSEADDR: with it, Linux may hand two sockets bound to port 0 the same port,
    // and one of the two devices would never hear from the platform.
    const bool bound = socket_ && g_socket_bind(socket_.get(), local.get(), FALSE, &err);
    if (!bound) {
      const std::string reason = err ? err->message : "socket";
      g_clear_error(&err);
      return Error{"gbsim: cannot open a UDP socket: " + reason};
    }
  }
  g_socket_set_blocking(socket_.get(), FALSE);
  gst::GObjectPtr<GSocketAddress> local(g_socket_get_local_address(socket_.get(), nullptr));
  gst::CharPtr host(g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(local.get()))));
  local_ = std::string(host.get()) + ":" +
           std::to_string(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local.get())));
  source_.reset(g_socket_create_source(socket_.get(), GIOCondition(G_IO_IN | G_IO_HUP | G_IO_ERR), nullptr));
  g_source_set_callback(source_.get(), G_SOURCE_FUNC(&GbDeviceSim::OnReadable), this, nullptr);
  g_source_attach(source_.get(), g_main_context_get_thread_default());
  return Status::Ok();
}

std::string GbDeviceSim::Advertised() const {
  if (!Has("nat")) return local_;
  const size_t colon = local_.rfind(':');
  return local_.substr(0, colon) + ":" + std::to_string((std::stoi(local_.substr(colon + 1)) + 1000) % 65536);
}

void GbDeviceSim::Respond(const SipMessage& request, int code, const std::string& reason) {
  Respond(SipMessage::ResponseTo(request, code, reason));
}

void GbDeviceSim::Respond(const SipMessage& response) {
  std::string text = response.ToString();
  if (Has("foreign-via")) {
    // Our own Via in place of the platform's (its branch and address lost).
    const size_t via = text.find("\r\nVia: ");
    const size_t end = via == std::string::npos ? via : text.find("\r\n", via + 2);
    if (end != std::string::npos) {
      text.replace(via, end - via,
                   "\r\nVia: SIP/2.0/UDP " + Advertised() + ";branch=z9hG4bK" + RandomHex(10) + ";rport");
    }
  }
  Send(text);
}

GbDeviceSim::~GbDeviceSim() {
  if (keepalive_timer_) g_source_remove(keepalive_timer_);
  if (register_timer_) g_source_remove(register_timer_);
  source_.reset();
  if (tcp_) g_io_stream_close(G_IO_STREAM(tcp_.get()), nullptr, nullptr);
}

void GbDeviceSim::PauseKeepalives(bool paused) {
  paused_ = paused;
  spdlog::info("gbsim {}: keepalives {}", o_.device_id, paused ? "paused" : "resumed");
}

SipMessage GbDeviceSim::NewRequest(const std::string& method, const std::string& to_id, const std::string& call_id) {
  gb28181::RequestHeaders h;
  h.transport = o_.transport == "tcp" ? "TCP" : "UDP";
  h.via_host = Advertised();
  h.from_uri = "sip:" + o_.device_id + "@" + o_.realm;
  h.to_uri = "sip:" + to_id + "@" + o_.realm;
  h.call_id = call_id;
  h.cseq = cseq_++;
  const std::string target =
      Has("ip-uri-digest") && method == "REGISTER" ? o_.server_host + ":" + std::to_string(o_.server_port) : o_.realm;
  return SipMessage::Request(method, "sip:" + o_.platform_id + "@" + target, h);
}

std::string GbDeviceSim::ChannelId(int i) const {
  // Same centre and industry code as the device, type 131 (camera), serial from the device's.
  const long serial = (std::atol(o_.device_id.substr(14).c_str()) * 100 + i + 1) % 1000000;
  char tail[8];
  std::snprintf(tail, sizeof tail, "%06ld", serial);
  return o_.device_id.substr(0, 10) + "1310" + tail;
}

void GbDeviceSim::Register(const DigestCredentials* challenge) {
  if (!challenge && Has("new-callid")) call_id_ = RandomHex(24);
  SipMessage r = NewRequest("REGISTER", o_.device_id, call_id_);
  r.SetHeader("Contact", "<sip:" + o_.device_id + "@" + Advertised() + ">");
  r.AddHeader("Expires", std::to_string(o_.expires_s));
  // No answer in 2 s (a datagram lost): start over, as SIP's retransmission would.
  if (register_timer_) g_source_remove(register_timer_);
  register_timer_ = g_timeout_add(2000, &GbDeviceSim::OnRegisterTimer, this);
  if (challenge) {
    DigestCredentials c = *challenge;
    c.username = o_.device_id;
    c.uri = Has("from-uri-digest") ? "sip:" + o_.device_id + "@" + o_.realm
            : Has("ip-uri-digest")
                ? "sip:" + o_.platform_id + "@" + o_.server_host + ":" + std::to_string(o_.server_port)
                : "sip:" + o_.platform_id + "@" + o_.realm;
    c.response = gb28181::DigestResponse(c, o_.password, "REGISTER");
    r.SetHeader("Authorization", "Digest username=\"" + c.username + "\",realm=\"" + c.realm + "\",nonce=\"" + c.nonce +
                                     "\",uri=\"" + c.uri + "\",response=\"" + c.response + "\",algorithm=MD5");
  }
  Send(r.ToString());
}

void GbDeviceSim::SendRequest(const std::string& method, const std::string& body) {
  SipMessage r = NewRequest(method, o_.platform_id, RandomHex(24));
  if (!body.empty()) r.SetBody(body, Has("content-type-case") ? "APPLICATION/MANSCDP+XML" : "Application/MANSCDP+xml");
  Send(r.ToString());
}

void GbDeviceSim::Send(const std::string& bytes) {
  if (tcp_) {
    g_socket_send_with_blocking(socket_.get(), bytes.data(), bytes.size(), TRUE, nullptr, nullptr);
  } else {
    g_socket_send_to(socket_.get(), server_.get(), bytes.data(), bytes.size(), nullptr, nullptr);
  }
}

gboolean GbDeviceSim::OnReadable(GSocket* socket, GIOCondition, gpointer self) {
  auto* d = static_cast<GbDeviceSim*>(self);
  char buf[65536];
  for (;;) {
    const gssize n = g_socket_receive(socket, buf, sizeof buf, nullptr, nullptr);
    if (n == 0 && d->tcp_) {
      spdlog::warn("gbsim {}: the platform closed the connection", d->o_.device_id);
      return G_SOURCE_REMOVE;
    }
    if (n <= 0) break;
    if (!d->tcp_) {
      auto m = SipMessage::Parse(std::string_view(buf, size_t(n)));
      if (m.ok()) d->Handle(m.value());
      continue;
    }
    d->stream_.Append(std::string_view(buf, size_t(n)));
    std::string message;
    for (gb28181::SipStream::Step step; (step = d->stream_.Take(&message)) != gb28181::SipStream::Step::kMore;) {
      if (step == gb28181::SipStream::Step::kBroken) {
        spdlog::warn("gbsim {}: the platform sent bytes that are not SIP; disconnecting", d->o_.device_id);
        return G_SOURCE_REMOVE;
      }
      auto m = SipMessage::Parse(message);
      if (m.ok()) d->Handle(m.value());
    }
  }
  return G_SOURCE_CONTINUE;
}

void GbDeviceSim::Handle(const SipMessage& m) {
  if (!m.is_request()) {
    if (m.cseq_method() != "REGISTER") return;
    if (m.status() == 401) {
      auto challenge = m.www_authenticate();
      if (challenge) Register(&*challenge);
    } else if (m.status() == 200) {
      if (!registered_) {
        spdlog::info("gbsim {}: registered (Date {})", o_.device_id, m.header("Date").value_or("-"));
        if (o_.garbage) Send("MESSAGE sip:x SIP/2.0\r\nVia: broken\r\nContent-Length: 99999\r\n\r\n<Notify>");
      }
      registered_ = true;
      move_due_ = Has("moves") && !tcp_;
      if (!keepalive_timer_)
        keepalive_timer_ = g_timeout_add(guint(o_.keepalive_s) * 1000, &GbDeviceSim::OnKeepalive, this);
      if (register_timer_) g_source_remove(register_timer_);
      register_timer_ = g_timeout_add(guint(o_.expires_s) * 500, &GbDeviceSim::OnRegisterTimer, this);  // at half-life
    } else {
      spdlog::warn("gbsim {}: refused ({}); registering again in 3 s", o_.device_id, m.status());
      registered_ = false;
      if (register_timer_) g_source_remove(register_timer_);
      register_timer_ = g_timeout_add(3000, &GbDeviceSim::OnRegisterTimer, this);
    }
    return;
  }
  if (m.method() == "INVITE") return OnInvite(m);
  if (m.method() == "ACK") return OnAck(m);
  if (m.method() == "BYE") return OnBye(m);
  if (m.method() == "INFO") return OnInfo(m);
  if (m.method() != "MESSAGE") {
    Respond(m, 405, "Method Not Allowed");
    return;
  }
  auto q = gb28181::ParseManscdp(m.body());
  if (!q.ok()) {
    Respond(m, 400, "Bad Request");
    return;
  }
  Respond(m, 200, "OK");
  const Manscdp& query = q.value();
  Manscdp reply;
  reply.root = "Response";
  reply.cmd_type = query.cmd_type;
  reply.sn = query.sn;
  reply.device_id = o_.device_id;
  if (query.cmd_type == "Catalog") {
    const int page = std::max(1, o_.catalog_page);
    for (int first = 0; first < o_.channels || first == 0; first += page) {
      reply.sum_num = o_.channels + (Has("bad-sumnum") ? 3 : 0);
      reply.items.clear();
      const int from = Has("duplicate-items") && first > 0 ? first - 1 : first;  // the last one again
      for (int i = from; i < std::min(o_.channels, first + page); ++i) {
        gb28181::CatalogItem c;
        c.device_id = ChannelId(i);
        c.name =
            std::string(Has("gbk-catalog") ? "堃" : "") + "通道" + std::to_string(i + 1) + (i % 2 ? " 村口" : " 路口");
        c.manufacturer = "Xueliang";
        c.model = "camsim";
        c.civil_code = o_.device_id.substr(0, 8) + (i < (o_.channels + 1) / 2 ? "01" : "02");
        c.parent_id = o_.device_id;
        c.status = "ON";
        reply.items.push_back(c);
      }
      std::string body = gb28181::BuildManscdp(reply);
      if (Has("sparse-catalog")) {
        // Items with their DeviceID alone, and no SumNum.
        for (const char* field : {"Name", "Manufacturer", "Model", "CivilCode", "ParentID", "Status", "SumNum"}) {
          const std::string open = std::string("<") + field + ">";
          for (size_t at; (at = body.find(open)) != std::string::npos;) body.erase(at, body.find('\n', at) + 1 - at);
        }
      }
      SendRequest("MESSAGE", body);
      if (o_.channels == 0) break;
    }
    spdlog::info("gbsim {}: catalog sent ({} channels, {} per message)", o_.device_id, o_.channels, page);
  } else if (query.cmd_type == "DeviceInfo" && Has("no-deviceinfo")) {
    spdlog::info("gbsim {}: DeviceInfo query left unanswered", o_.device_id);
  } else if (query.cmd_type == "DeviceInfo") {
    reply.device_name = o_.name;
    reply.manufacturer = "Xueliang";
    reply.model = "camsim-nvr";
    reply.firmware = "1.0";
    reply.channels = o_.channels;
    reply.status = "OK";
    SendRequest("MESSAGE", gb28181::BuildManscdp(reply));
  } else if (query.cmd_type == "DeviceControl") {
    spdlog::info("gbsim {}: PTZ {} for {}", o_.device_id, query.ptz_cmd, m.request_user());
  } else if (query.cmd_type == "RecordInfo" && query.root == "Query") {
    AnswerRecordInfo(query);
  }
}

void GbDeviceSim::AnswerRecordInfo(const gb28181::Manscdp& query) {
  int index = -1;
  for (int i = 0; i < o_.channels; ++i) {
    if (ChannelId(i) == query.device_id) index = i;
  }
  const auto from = ParseWallTime(query.start_time), to = ParseWallTime(query.end_time);
  std::vector<gb28181::RecordItem> items;
  if (index >= 0 && !o_.media.empty() && from && to) {
    const EncodedClip& clip = *o_.media[size_t(index) % o_.media.size()];
    const int64_t file_ms = FileMs(clip);
    const int64_t first = RecordedFromMs();
    const int64_t now = NowMs();
    for (int64_t n = std::max<int64_t>(0, (*from - first) / file_ms); first + n * file_ms < std::min(*to, now); ++n) {
      if (FileMissing(n)) continue;  // lost
      const int64_t start = first + n * file_ms, end = std::min(start + file_ms, now);
      gb28181::RecordItem r;
      r.device_id = query.device_id;
      r.name = "通道" + std::to_string(index + 1);
      r.file_path = "/record/" + query.device_id + "/" + std::to_string(n) + ".ps";
      r.address = "camsim";
      r.type = "time";
      r.recorder_id = o_.device_id;
      r.start_time = gb28181::GbTime(start);
      r.end_time = gb28181::GbTime(end);
      if (Has("record-space-time")) {
        r.start_time[10] = ' ';
        r.end_time[10] = ' ';
      }
      items.push_back(std::move(r));
      if (items.size() >= 1000) break;
    }
  }
  Manscdp reply;
  reply.root = "Response";
  reply.cmd_type = "RecordInfo";
  reply.sn = query.sn;
  reply.device_id = query.device_id;
  reply.sum_num = long(items.size());
  const size_t page = size_t(std::max(1, o_.record_page));
  for (size_t first = 0; first < items.size() || first == 0; first += page) {
    reply.records.assign(items.begin() + long(std::min(first, items.size())),
                         items.begin() + long(std::min(first + page, items.size())));
    SendRequest("MESSAGE", gb28181::BuildManscdp(reply));
    if (items.empty()) break;
  }
  spdlog::info("gbsim {}: RecordInfo for {} from {} to {}: {} recordings, {} per message", o_.device_id,
               query.device_id, query.start_time, query.end_time, items.size(), page);
}

void GbDeviceSim::OnInvite(const SipMessage& m) {
  const std::string channel = m.request_user();
  if (auto again = calls_.find(m.call_id()); again != calls_.end()) {
    if (!again->second.answer.empty()) Send(again->second.answer);  // our 200 was lost: again
    return;
  }
  if (Has("one-call") && !calls_.empty()) {
    spdlog::info("gbsim {}: INVITE for {} ignored: one call at a time", o_.device_id, channel);
    return;
  }
  if (!Has("no-trying")) Respond(m, 100, "Trying");
  int index = -1;
  for (int i = 0; i < o_.channels; ++i) {
    if (ChannelId(i) == channel) index = i;
  }
  if (index < 0) return Respond(m, 404, "Not Found");
  if (o_.media.empty()) return Respond(m, 488, "Not Acceptable Here");
  auto offer = gb28181::ParseSdp(m.body());
  if (!offer.ok() || offer.value().ssrc.empty()) {
    spdlog::warn("gbsim {}: INVITE for {} refused: {}", o_.device_id, channel,
                 offer.ok() ? "no y= SSRC" : offer.error().message);
    return Respond(m, 488, "Not Acceptable Here");
  }
  const gb28181::MediaDescription& o = offer.value();
  GbMediaOptions media{o.ip, o.port, o.transport, uint32_t(std::stoul(o.ssrc)), o_.stall_media_after_s, o_.garbage};
  if (Has("other-ssrc")) media.ssrc = 0x0BADC0DE;
  media.slow_clock = Has("slow-clock");
  media.ts_jumps = Has("ts-jump");
  media.stream_map = !Has("no-psm");
  media.audio = Has("ps-audio");
  const EncodedClip& clip = *o_.media[size_t(index) % o_.media.size()];
  const bool history = o.session == "Playback" || o.session == "Download";
  if (history) {
    if (o.end_s <= o.start_s) {
      spdlog::warn("gbsim {}: {} INVITE for {} refused: t= {} {} is no range", o_.device_id, o.session, channel,
                   o.start_s, o.end_s);
      return Respond(m, 488, "Not Acceptable Here");
    }
    GbMediaOptions::Recording r;
    r.file_ns = FileMs(clip) * 1000000;
    r.from_ns = std::max<int64_t>(0, o.start_s * 1000 - RecordedFromMs()) * 1000000;
    r.to_ns = (std::min(o.end_s * 1000, NowMs()) - RecordedFromMs()) * 1000000;
    r.download = o.session == "Download";
    r.scale = r.download ? std::max(1, o.download_speed) : 1;
    r.missing = &GbDeviceSim::FileMissing;
    media.recording = r;
    media.on_finished = [this, call_id = m.call_id()] { OnRecordingSent(call_id); };
  }
  auto sender = GbMediaSender::Open(clip, media);
  if (!sender.ok()) {
    spdlog::warn("gbsim {}: INVITE for {} refused: {}", o_.device_id, channel, sender.error().message);
    return Respond(m, 500, "Server Internal Error");
  }
  if (history && !sender.value()->HasMedia()) {
    spdlog::info("gbsim {}: {} INVITE for {}: nothing recorded from {} to {}", o_.device_id, o.session, channel,
                 o.start_s, o.end_s);
    return Respond(m, 404, "Not Found");
  }
  SipMessage ok = SipMessage::ResponseTo(m, 200, "OK");
  ok.SetHeader("Contact", "<sip:" + channel + "@" + Advertised() + ">");
  gb28181::MediaDescription answer;
  answer.owner = channel;
  answer.session = history ? o.session : "Play";
  answer.uri = o.uri;
  answer.start_s = o.start_s;
  answer.end_s = o.end_s;
  if (o.session == "Download") {  // what it will send: the clip's bitrate over the range
    int64_t clip_bytes = 0;
    for (const AccessUnit& u : clip.units) clip_bytes += int64_t(u.bytes.size());
    answer.file_size = clip_bytes * (o.end_s - o.start_s) * 1000 / FileMs(clip);
  }
  answer.ip = local_.substr(0, local_.rfind(':'));
  answer.port = sender.value()->local_port();
  answer.transport = Has("odd-transport") ? (o.transport == "tcp" ? "udp" : "tcp") : o.transport;
  answer.setup = "active";
  answer.direction = "sendonly";
  answer.ssrc = Has("short-ssrc") ? std::to_string(std::stoul(o.ssrc)) : o.ssrc;
  if (Has("bad-answer")) answer.ssrc = "SSRC" + o.ssrc;
  ok.SetBody(gb28181::BuildSdp(answer), Has("content-type-case") ? "application/SDP" : "APPLICATION/SDP");
  Call& call = calls_[m.call_id()];
  call.channel_id = channel;
  call.platform_tag = m.from_tag();
  call.our_tag = ok.to_tag();
  call.invite_cseq = m.cseq();
  call.answer = ok.ToString();
  call.sender = std::move(sender.value());
  spdlog::info("gbsim {}: {}INVITE for {}: {} over {} to {}:{} (SSRC {}){}", o_.device_id,
               history ? o.session + " " : "", channel, clip.codec, o.transport, o.ip, o.port, o.ssrc,
               history
                   ? " from " + gb28181::GbTime(o.start_s * 1000) + " to " + gb28181::GbTime(o.end_s * 1000) +
                         (o.session == "Download" ? " at " + std::to_string(std::max(1, o.download_speed)) + "×" : "")
                   : "");
  Respond(ok);
}

void GbDeviceSim::OnAck(const SipMessage& m) {
  auto it = calls_.find(m.call_id());
  if (it == calls_.end() || it->second.started) return;
  it->second.started = true;
  if (Status s = it->second.sender->Start(); !s.ok()) {
    spdlog::warn("gbsim {}: video for {} not sent: {}", o_.device_id, it->second.channel_id, s.message());
  }
}

void GbDeviceSim::OnBye(const SipMessage& m) {
  auto it = calls_.find(m.call_id());
  if (it == calls_.end()) {
    spdlog::warn("gbsim {}: BYE for no call of ours (Call-ID '{}')", o_.device_id, m.call_id());
    return Respond(m, 481, "Call/Transaction Does Not Exist");
  }
  const Call& call = it->second;
  // RFC 3261 §15.1.1: the BYE belongs to the INVITE's dialog — its Call-ID (found above), the
  // platform's tag as From, ours as To — with a CSeq above the INVITE's.
  const bool in_dialog = m.from_tag() == call.platform_tag && m.to_tag() == call.our_tag && m.cseq() > call.invite_cseq;
  spdlog::info("gbsim {}: call for {} ended by the platform ({} packets sent); the BYE is {}", o_.device_id,
               call.channel_id, call.sender->packets(),
               in_dialog ? "in the INVITE's dialog (Call-ID, tags, CSeq " + std::to_string(m.cseq()) + ")"
                         : "OUTSIDE the INVITE's dialog");
  calls_.erase(it);
  Respond(m, 200, "OK");
}

void GbDeviceSim::OnInfo(const SipMessage& m) {
  auto it = calls_.find(m.call_id());
  if (it == calls_.end()) return Respond(m, 481, "Call/Transaction Does Not Exist");
  auto control = gb28181::ParseMansRtsp(m.body());
  if (!control.ok()) {
    spdlog::warn("gbsim {}: INFO for {} refused: {}", o_.device_id, it->second.channel_id, control.error().message);
    return Respond(m, 400, "Bad Request");
  }
  GbMediaSender& sender = *it->second.sender;
  const gb28181::MansRtsp& c = control.value();
  if (c.method == "PAUSE") {
    sender.Pause();
  } else if (c.method == "PLAY") {
    if (c.range_start_s >= 0) sender.Seek(int64_t(c.range_start_s * 1e9));
    sender.Resume(c.scale);
  }
  spdlog::info("gbsim {}: playback of {}: {}{}{}", o_.device_id, it->second.channel_id, c.method,
               c.scale != 0 ? " scale " + std::to_string(c.scale) : "",
               c.range_start_s >= 0 ? " from " + std::to_string(c.range_start_s) + " s" : "");
  Respond(m, 200, "OK");
}

void GbDeviceSim::OnRecordingSent(const std::string& call_id) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  Manscdp status;
  status.root = "Notify";
  status.cmd_type = "MediaStatus";
  status.sn = sn_++;
  status.device_id = it->second.channel_id;
  status.notify_type = "121";
  // In the call's dialog (its Call-ID), as platforms find the call by.
  SipMessage r = NewRequest("MESSAGE", o_.platform_id, Has("status-outside-dialog") ? RandomHex(24) : call_id);
  r.SetBody(gb28181::BuildManscdp(status), "Application/MANSCDP+xml");
  Send(r.ToString());
  spdlog::info("gbsim {}: the recording of {} is sent to its end ({} packets): MediaStatus 121", o_.device_id,
               it->second.channel_id, it->second.sender->packets());
}

void GbDeviceSim::HangUpAll() {
  for (auto& [call_id, call] : calls_) {
    gb28181::RequestHeaders h;
    h.transport = o_.transport == "tcp" ? "TCP" : "UDP";
    h.via_host = Advertised();
    h.from_uri = "sip:" + call.channel_id + "@" + o_.realm;
    h.from_tag = call.our_tag;
    h.to_uri = "sip:" + o_.platform_id + "@" + o_.realm;
    h.to_tag = call.platform_tag;
    h.call_id = call_id;
    h.cseq = cseq_++;
    Send(SipMessage::Request("BYE", "sip:" + o_.platform_id + "@" + o_.realm, h).ToString());
    spdlog::info("gbsim {}: hung up the call for {}", o_.device_id, call.channel_id);
  }
  calls_.clear();
}

gboolean GbDeviceSim::OnKeepalive(gpointer self) {
  auto* d = static_cast<GbDeviceSim*>(self);
  if (d->paused_ || !d->registered_) return G_SOURCE_CONTINUE;
  if (d->move_due_) d->Move();  // the keepalive is the first to come from the new port
  Manscdp k;
  k.root = "Notify";
  k.cmd_type = "Keepalive";
  k.sn = d->sn_++;
  k.device_id = d->o_.device_id;
  k.status = "OK";
  d->SendRequest("MESSAGE", gb28181::BuildManscdp(k));
  return G_SOURCE_CONTINUE;
}

gboolean GbDeviceSim::OnRegisterTimer(gpointer self) {
  auto* d = static_cast<GbDeviceSim*>(self);
  d->register_timer_ = 0;
  if (d->registered_ && d->move_due_) d->Move();  // no keepalive came since it registered
  d->Register(nullptr);
  return G_SOURCE_REMOVE;
}

void GbDeviceSim::Move() {
  move_due_ = false;
  const std::string was = local_;
  if (Status s = Open(); !s.ok()) spdlog::warn("gbsim {}: {}", o_.device_id, s.message());
  spdlog::info("gbsim {}: moved from {} to {}", o_.device_id, was, local_);
}

}  // namespace xl::camsim
