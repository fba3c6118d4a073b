// The router as a GB/T 28181 lower platform (router/gb_upward/), without sockets: its
// LowerPlatform talks to the worker's Registrar (the upper side) message by message —
// registration with digest, the catalog over several messages with its SumNum, DeviceInfo,
// DeviceStatus, PTZ, alarms, a live call from INVITE to BYE — and to hand-made requests for
// what the Registrar does not send (SUBSCRIBE, a CANCEL, a stranger).
#include <gtest/gtest.h>

#include "ingest/gb28181/registrar.h"
#include "proto/gb28181/ptz.h"
#include "router/gb_upward/lower_platform.h"
#include "router/gb_upward/upper_catalog.h"
#include "router/gb_upward/upper_config.h"

namespace xl::router {
namespace {

using gb28181::CatalogItem;
using gb28181::SipMessage;

constexpr const char* kUpper = "34020000002000000001";
constexpr const char* kOurs = "33010200002000000009";

wire::Camera Cam(const std::string& id, const std::string& name, const std::string& region, bool online, bool ptz) {
  wire::Camera c;
  c.set_id(id);
  c.set_name(name);
  c.set_region(region);
  c.set_state(online ? wire::CAMERA_STATE_ONLINE : wire::CAMERA_STATE_OFFLINE);
  c.set_ptz(ptz);
  c.set_codec("h264");
  return c;
}

std::vector<wire::Camera> FiveCameras() {
  return {Cam("33010201001310000001", "东村村口", "3301020100", true, true),
          Cam("33010201001310000002", "东村祠堂", "3301020100", true, false),
          Cam("33010201011310000003", "西村桥头", "3301020101", false, false),
          Cam("33010202001310000004", "南镇路口", "33010202", true, false),
          Cam("33010202001310000005", "南镇学校", "33010202", true, false)};
}

class Upward : public ::testing::Test {
 protected:
  static gb28181::GbConfig UpperConfig() {
    gb28181::GbConfig c;
    c.enabled = true;
    c.id = kUpper;
    c.realm = "3402000000";
    c.password = "county-pw";
    c.keepalive_s = 5;
    return c;
  }
  static GbUpperConfig LowerConfig() {
    auto c = ParseGbUpperConfig(std::string("platform_id: '") + kOurs + "'\nupper_id: '" + kUpper +
                                    "'\nupper_host: 127.0.0.1\npassword: county-pw\ncatalog_page: 3\nkeepalive_s: 5\n"
                                    "name: 东街镇\n",
                                "test");
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.value();
  }

  Upward() : upper_(UpperConfig()), lower_(LowerConfig(), "10.0.0.9:5070") {
    peer_.transport = "udp";
    peer_.host = "10.0.0.9";
    peer_.port = 5070;
    peer_.local = "10.0.0.1:5060";
  }

  // Delivers what the lower platform sent to the registrar, and back, until both are quiet
  // (the lower one's paced messages too); its other outputs are gathered in lower_out_.
  void Exchange(LowerPlatform::Output out) {
    std::vector<std::string> to_upper = std::move(out.sends);
    Gather(std::move(out));
    for (int round = 0; round < 200; ++round) {
      if (to_upper.empty()) {
        LowerPlatform::Output tick = lower_.Tick(now_);
        to_upper = std::move(tick.sends);
        Gather(std::move(tick));
        if (to_upper.empty()) return;
      }
      std::vector<std::string> to_lower;
      for (const std::string& bytes : to_upper) {
        auto m = SipMessage::Parse(bytes);
        ASSERT_TRUE(m.ok()) << bytes;
        sent_.push_back(bytes);
        gb28181::Registrar::Output r = upper_.OnMessage(m.value(), peer_, now_);
        for (auto& e : r.events) events_.push_back(e);
        for (auto& c : r.calls) calls_.push_back(c);
        for (auto& [peer, b] : r.sends) to_lower.push_back(b);
      }
      to_upper.clear();
      for (const std::string& bytes : to_lower) {
        auto m = SipMessage::Parse(bytes);
        ASSERT_TRUE(m.ok()) << bytes;
        LowerPlatform::Output o = lower_.OnMessage(m.value(), now_, 1'800'000'000'000);
        for (auto& b : o.sends) to_upper.push_back(b);
        o.sends.clear();
        Gather(std::move(o));
      }
    }
    FAIL() << "the exchange never went quiet";
  }
  void Gather(LowerPlatform::Output o) {
    for (auto& x : o.invites) invites_.push_back(x);
    for (auto& x : o.started) started_.push_back(x);
    for (auto& x : o.ended) ended_.push_back(x);
    for (auto& x : o.ptz) ptz_.push_back(x);
  }
  // Registers, and lets the registrar ask for the catalog and device info.
  void Register() {
    lower_.SetCatalog(UpperCatalog(kOurs, "东街镇", FiveCameras(), {{"3301020100", "东村"}}), now_);
    Exchange(lower_.Tick(now_));
    ASSERT_EQ(lower_.state(), LowerPlatform::State::kRegistered);
  }
  bool HasEvent(gb28181::GbEvent::Kind kind) const {
    for (const auto& e : events_) {
      if (e.kind == kind) return true;
    }
    return false;
  }
  const gb28181::GbDevice& Device() const { return upper_.devices().at(kOurs); }

  gb28181::Registrar upper_;
  LowerPlatform lower_;
  gb28181::Peer peer_;
  int64_t now_ = 1000;
  std::vector<std::string> sent_;
  std::vector<gb28181::GbEvent> events_;
  std::vector<gb28181::CallEvent> calls_;
  std::vector<MediaOrder> invites_;
  std::vector<std::string> started_, ended_;
  std::vector<PtzOrder> ptz_;
};

TEST_F(Upward, RegistersWithDigestAndGivesItsWholeCatalogOverSeveralMessages) {
  Register();
  EXPECT_TRUE(HasEvent(gb28181::GbEvent::kRegistered));
  const gb28181::GbDevice& d = Device();
  EXPECT_TRUE(d.registered);
  // The catalog: a business group, organisations for 330102, 33010201, 3301020100, 3301020101
  // and 33010202, and the five cameras — 11 items, 3 to a message: 4 messages, each SumNum 11.
  ASSERT_TRUE(d.catalog_complete);
  EXPECT_EQ(d.catalog_sum, 11);
  EXPECT_EQ(d.catalog.size(), 11u);
  int catalog_messages = 0;
  for (const std::string& s : sent_) {
    if (s.find("<CmdType>Catalog</CmdType>") != std::string::npos) {
      ++catalog_messages;
      EXPECT_NE(s.find("<SumNum>11</SumNum>"), std::string::npos);
    }
  }
  EXPECT_EQ(catalog_messages, 4);
  const CatalogItem& cam = d.catalog.at("33010201001310000001");
  EXPECT_EQ(cam.name, "东村村口");
  EXPECT_EQ(cam.civil_code, "33010201");
  EXPECT_EQ(cam.status, "ON");
  const CatalogItem& village = d.catalog.at(cam.parent_id);
  EXPECT_EQ(village.name, "东村");
  EXPECT_EQ(village.device_id.substr(10, 3), "216");
  EXPECT_EQ(d.catalog.at("33010201011310000003").status, "OFF");
  EXPECT_EQ(d.name, "东街镇");  // DeviceInfo
}

TEST_F(Upward, AWrongPasswordIsRefusedAndRetried) {
  GbUpperConfig c = LowerConfig();
  c.password = "wrong";
  LowerPlatform lower(c, "10.0.0.9:5070");
  lower_ = std::move(lower);
  Exchange(lower_.Tick(now_));
  EXPECT_EQ(lower_.state(), LowerPlatform::State::kRefused);
  EXPECT_FALSE(upper_.devices().count(kOurs) && upper_.devices().at(kOurs).registered);
  // Ten seconds on, it tries again (and is refused again).
  const size_t before = sent_.size();
  now_ += LowerPlatform::kRetryMs;
  Exchange(lower_.Tick(now_));
  EXPECT_GT(sent_.size(), before);
}

TEST_F(Upward, KeepsAliveAndRegistersAgainWhenTheUpperStopsAnswering) {
  Register();
  const uint64_t registrations = lower_.stats().registrations;
  for (int i = 0; i < 3; ++i) {
    now_ += 5000;
    Exchange(lower_.Tick(now_));
  }
  EXPECT_TRUE(Device().online);
  EXPECT_EQ(lower_.state(), LowerPlatform::State::kRegistered);
  // The upper goes silent: keepalives go unanswered; the 4th tick finds 3 unanswered.
  for (int i = 0; i < 4; ++i) {
    now_ += 5000;
    lower_.Tick(now_);  // sent nowhere
  }
  EXPECT_EQ(lower_.state(), LowerPlatform::State::kRegistering);
  now_ += LowerPlatform::kAnswerWaitMs;
  lower_.Tick(now_);  // that REGISTER is given up for lost too
  now_ += LowerPlatform::kRetryMs;
  Exchange(lower_.Tick(now_));
  EXPECT_EQ(lower_.state(), LowerPlatform::State::kRegistered);
  EXPECT_GT(lower_.stats().registrations, registrations);
}

TEST_F(Upward, PtzFromAboveBecomesAnOrderForTheCamera) {
  Register();
  auto cmd = gb28181::PtzCmdFor("left", 200, 0);
  ASSERT_TRUE(cmd.ok());
  auto out = upper_.Ptz(kOurs, "33010201001310000001", cmd.value());
  ASSERT_TRUE(out.ok()) << out.error().message;
  std::vector<std::string> sends;
  for (auto& [p, b] : out.value().sends) {
    auto m = SipMessage::Parse(b);
    ASSERT_TRUE(m.ok());
    Gather(lower_.OnMessage(m.value(), now_, 0));
  }
  ASSERT_EQ(ptz_.size(), 1u);
  EXPECT_EQ(ptz_[0].camera, "33010201001310000001");
  EXPECT_EQ(ptz_[0].request.action, "left");
  EXPECT_EQ(ptz_[0].request.speed, 200);
}

TEST_F(Upward, ALiveCallIsAnsweredWithTheOffersSsrcAndEndsWithBye) {
  Register();
  for (const std::string transport : {"udp", "tcp"}) {
    invites_.clear();
    calls_.clear();
    started_.clear();
    ended_.clear();
    gb28181::CallRequest req;
    req.device_id = kOurs;
    req.channel_id = "33010202001310000004";
    req.media_ip = "10.0.0.1";
    req.media_port = 30000;
    req.transport = transport;
    req.ssrc = "0340200001";
    std::string call_id;
    auto placed = upper_.Invite(req, now_, &call_id, true);
    ASSERT_TRUE(placed.ok()) << placed.error().message;
    std::vector<std::string> to_lower;
    for (auto& [p, b] : placed.value().sends) {
      auto m = SipMessage::Parse(b);
      ASSERT_TRUE(m.ok());
      Gather(lower_.OnMessage(m.value(), now_, 0));
    }
    ASSERT_EQ(invites_.size(), 1u);
    EXPECT_EQ(invites_[0].camera, "33010202001310000004");
    EXPECT_EQ(invites_[0].offer.ssrc, "0340200001");
    EXPECT_EQ(invites_[0].offer.transport, transport);
    gb28181::MediaDescription ours;
    ours.ip = "10.0.0.9";
    ours.port = transport == "udp" ? 40000 : 9;
    ours.transport = transport;
    if (transport == "tcp") ours.setup = "active";
    Exchange(lower_.Answer(invites_[0].call_id, ours, now_));
    ASSERT_EQ(calls_.size(), 1u);
    EXPECT_EQ(calls_[0].kind, gb28181::CallEvent::kAnswered);
    EXPECT_EQ(calls_[0].answer.ssrc, "0340200001");
    EXPECT_EQ(calls_[0].answer.port, ours.port);
    ASSERT_EQ(started_.size(), 1u) << "the upper's ACK starts the video";
    // The upper hangs up.
    gb28181::Registrar::Output bye = upper_.Bye(call_id, now_);
    for (auto& [p, b] : bye.sends) {
      auto m = SipMessage::Parse(b);
      ASSERT_TRUE(m.ok());
      Gather(lower_.OnMessage(m.value(), now_, 0));
    }
    ASSERT_EQ(ended_.size(), 1u);
    EXPECT_EQ(ended_[0], started_[0]);
    EXPECT_EQ(lower_.calls(), 0u);
  }
}

TEST_F(Upward, AnInviteForAStrangeCameraOrPlaybackIsRefused) {
  Register();
  gb28181::CallRequest req;
  req.device_id = kOurs;
  req.channel_id = "33010202001310000004";
  req.media_ip = "10.0.0.1";
  req.media_port = 30000;
  req.ssrc = "0340200001";
  std::string call_id;
  auto placed = upper_.Invite(req, now_, &call_id);
  ASSERT_TRUE(placed.ok());
  std::string invite = placed.value().sends[0].second;
  // The same INVITE for a camera we do not have, and for playback.
  std::string stranger = invite;
  for (size_t at; (at = stranger.find("33010202001310000004")) != std::string::npos;)
    stranger.replace(at, 20, "33010299001310000099");
  std::string playback = invite;
  playback.replace(playback.find("s=Play"), 6, "s=Playback");
  playback.replace(playback.find("Call-ID: "), 9, "Call-ID: x");
  for (const std::string& bytes : {stranger, playback}) {
    auto m = SipMessage::Parse(bytes);
    ASSERT_TRUE(m.ok()) << bytes;
    LowerPlatform::Output o = lower_.OnMessage(m.value(), now_, 0);
    EXPECT_TRUE(o.invites.empty());
    ASSERT_FALSE(o.sends.empty());
    auto answer = SipMessage::Parse(o.sends.back());
    ASSERT_TRUE(answer.ok());
    EXPECT_TRUE(answer->status() == 404 || answer->status() == 488) << o.sends.back();
  }
}

TEST_F(Upward, AlertsGoUpAsAlarmsWhenConfiguredOrSubscribed) {
  Register();
  wire::Alert a;
  a.set_camera_id("33010201001310000001");
  a.set_kind(wire::ALERT_KIND_MOTION);
  a.set_phase(wire::ALERT_PHASE_START);
  a.set_start_ms(1'800'000'000'000);
  EXPECT_TRUE(lower_.Alarm(a, now_, 0).sends.empty()) << "not subscribed, not configured";

  // The upper subscribes to alarms.
  const std::string subscribe =
      std::string("SUBSCRIBE sip:") + kOurs +
      "@3402000000 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKsub1\r\n"
      "From: <sip:" +
      kUpper +
      "@3402000000>;tag=up1\r\n"
      "To: <sip:" +
      kOurs +
      "@3402000000>\r\n"
      "Call-ID: sub-alarm-1\r\nCSeq: 1 SUBSCRIBE\r\nEvent: presence\r\nExpires: 600\r\nMax-Forwards: 70\r\n"
      "Content-Type: Application/MANSCDP+xml\r\n";
  const std::string body = std::string("<?xml version=\"1.0\"?><Query><CmdType>Alarm</CmdType><SN>7</SN><DeviceID>") +
                           kOurs + "</DeviceID></Query>";
  auto m = SipMessage::Parse(subscribe + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_TRUE(m.ok());
  LowerPlatform::Output sub = lower_.OnMessage(m.value(), now_, 0);
  ASSERT_EQ(sub.sends.size(), 1u);
  EXPECT_NE(sub.sends[0].find("SIP/2.0 200"), std::string::npos);
  EXPECT_TRUE(lower_.alarms_wanted(now_));

  Exchange(lower_.Alarm(a, now_, 0));
  ASSERT_TRUE(HasEvent(gb28181::GbEvent::kAlarm));
  ASSERT_EQ(Device().recent_alarms.size(), 1u);
  EXPECT_NE(Device().recent_alarms[0].find("channel 33010201001310000001: priority 3, method 5, type 2"),
            std::string::npos)
      << Device().recent_alarms[0];
  // Updates and ends are not alarms.
  a.set_phase(wire::ALERT_PHASE_END);
  EXPECT_TRUE(lower_.Alarm(a, now_, 0).sends.empty());
  // Past the subscription's end: none.
  a.set_phase(wire::ALERT_PHASE_START);
  EXPECT_TRUE(lower_.Alarm(a, now_ + 601'000, 0).sends.empty());
}

TEST_F(Upward, ACatalogSubscriberHearsOfEachChange) {
  Register();
  const std::string body = std::string("<?xml version=\"1.0\"?><Query><CmdType>Catalog</CmdType><SN>8</SN><DeviceID>") +
                           kOurs + "</DeviceID></Query>";
  auto m = SipMessage::Parse(std::string("SUBSCRIBE sip:") + kOurs + "@3402000000 SIP/2.0\r\n" +
                             "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKsub2\r\nFrom: <sip:" + kUpper +
                             "@3402000000>;tag=up2\r\nTo: <sip:" + kOurs +
                             "@3402000000>\r\nCall-ID: sub-cat-1\r\nCSeq: 1 SUBSCRIBE\r\nEvent: Catalog\r\n"
                             "Expires: 3600\r\nContent-Type: Application/MANSCDP+xml\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_TRUE(m.ok());
  lower_.OnMessage(m.value(), now_, 0);
  ASSERT_TRUE(lower_.catalog_subscribed(now_));

  std::vector<wire::Camera> cams = FiveCameras();
  cams[2].set_state(wire::CAMERA_STATE_ONLINE);                                      // 西村桥头 comes on
  cams[3].set_name("南镇路口东");                                                    // renamed
  cams.erase(cams.begin() + 4);                                                      // 南镇学校 removed
  cams.push_back(Cam("33010202001310000006", "南镇菜场", "33010202", true, false));  // added
  lower_.SetCatalog(UpperCatalog(kOurs, "东街镇", cams, {{"3301020100", "东村"}}), now_);
  LowerPlatform::Output t = lower_.Tick(now_);
  std::string notifies;
  for (const std::string& s : t.sends) {
    if (s.rfind("NOTIFY", 0) == 0) notifies += s;
  }
  ASSERT_FALSE(notifies.empty());
  EXPECT_NE(notifies.find("Call-ID: sub-cat-1"), std::string::npos) << "in the subscription's dialog";
  EXPECT_NE(notifies.find("Subscription-State: active"), std::string::npos);
  auto has = [&](const std::string& id, const std::string& event) {
    const size_t at = notifies.find("<DeviceID>" + id + "</DeviceID>");
    return at != std::string::npos && notifies.find("<Event>" + event + "</Event>", at) < notifies.find("</Item>", at);
  };
  EXPECT_TRUE(has("33010201011310000003", "ON"));
  EXPECT_TRUE(has("33010202001310000004", "UPDATE"));
  EXPECT_TRUE(has("33010202001310000005", "DEL"));
  EXPECT_TRUE(has("33010202001310000006", "ADD"));
  EXPECT_EQ(lower_.stats().notifies, 4u);
}

TEST_F(Upward, WithoutASubscriptionANewCameraSendsTheWholeCatalogAgain) {
  Register();
  ASSERT_EQ(Device().catalog.size(), 11u);
  std::vector<wire::Camera> cams = FiveCameras();
  cams.push_back(Cam("33010202001310000006", "南镇菜场", "33010202", true, false));
  lower_.SetCatalog(UpperCatalog(kOurs, "东街镇", cams, {}), now_);
  Exchange(lower_.Tick(now_));
  EXPECT_EQ(Device().catalog.size(), 11u) << "not before the changes settle";
  now_ += LowerPlatform::kCatalogPushMs;
  Exchange(lower_.Tick(now_));
  EXPECT_EQ(Device().catalog.size(), 12u);
  EXPECT_TRUE(Device().catalog.count("33010202001310000006"));
  // A camera that only goes offline does not send it all again.
  const size_t sent = sent_.size();
  cams[0].set_state(wire::CAMERA_STATE_OFFLINE);
  lower_.SetCatalog(UpperCatalog(kOurs, "东街镇", cams, {}), now_);
  now_ += LowerPlatform::kCatalogPushMs;
  Exchange(lower_.Tick(now_));
  for (size_t i = sent; i < sent_.size(); ++i) EXPECT_EQ(sent_[i].find("<CmdType>Catalog"), std::string::npos);
}

TEST_F(Upward, DeviceStatusAndRecordInfoAreAnsweredAndStrangersRefused) {
  Register();
  auto query = [&](const std::string& from, const std::string& cmd, const std::string& id) {
    const std::string body =
        "<?xml version=\"1.0\"?><Query><CmdType>" + cmd + "</CmdType><SN>9</SN><DeviceID>" + id + "</DeviceID></Query>";
    auto m = SipMessage::Parse("MESSAGE sip:" + id +
                               "@3402000000 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKq\r\n"
                               "From: <sip:" +
                               from + "@3402000000>;tag=q\r\nTo: <sip:" + id + "@3402000000>\r\nCall-ID: q-" + cmd +
                               "\r\nCSeq: 1 MESSAGE\r\n"
                               "Content-Type: Application/MANSCDP+xml\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body);
    EXPECT_TRUE(m.ok());
    LowerPlatform::Output o = lower_.OnMessage(m.value(), now_, 1'800'000'000'000);
    std::string all;
    for (auto& s : o.sends) all += s;
    return all;
  };
  const std::string status = query(kUpper, "DeviceStatus", "33010201011310000003");
  EXPECT_NE(status.find("SIP/2.0 200"), std::string::npos);
  EXPECT_NE(status.find("<Online>OFFLINE</Online>"), std::string::npos) << status;
  EXPECT_NE(query(kUpper, "DeviceStatus", kOurs).find("<Online>ONLINE</Online>"), std::string::npos);
  EXPECT_NE(query(kUpper, "RecordInfo", "33010201001310000001").find("<SumNum>0</SumNum>"), std::string::npos);
  EXPECT_NE(query("34020000002000000077", "Catalog", kOurs).find("SIP/2.0 403"), std::string::npos);
  EXPECT_NE(query(kUpper, "DeviceInfo", "33010299001310000099").find("SIP/2.0 404"), std::string::npos);
}

// Upper platforms as deployed bend the standard; each way we accept, by hand-made messages.
TEST(UpperQuirks, QopChallengeNoExpiresAndAChannelNamedOnlyInTheTo) {
  auto c = ParseGbUpperConfig(std::string("platform_id: '") + kOurs + "'\nupper_id: '" + kUpper +
                                  "'\nupper_host: 127.0.0.1\npassword: pw\nexpires_s: 600\nkeepalive_misses: 100\n",
                              "test");
  ASSERT_TRUE(c.ok());
  LowerPlatform lower(c.value(), "10.0.0.9:5070");
  lower.SetCatalog(UpperCatalog(kOurs, "town", FiveCameras(), {}), 0);
  LowerPlatform::Output first = lower.Tick(0);
  ASSERT_EQ(first.sends.size(), 1u);
  auto reg = SipMessage::Parse(first.sends[0]);
  ASSERT_TRUE(reg.ok());
  // A challenge with qop="auth" (RFC 2617): the answer carries qop, nc and cnonce, and its
  // response is computed with them.
  SipMessage challenge = SipMessage::ResponseTo(reg.value(), 401, "Unauthorized");
  challenge.SetHeader("WWW-Authenticate", "Digest realm=\"3402000000\",nonce=\"n0nce\",qop=\"auth\",algorithm=MD5");
  LowerPlatform::Output answer = lower.OnMessage(SipMessage::Parse(challenge.ToString()).value(), 10, 0);
  ASSERT_EQ(answer.sends.size(), 1u);
  auto with_digest = SipMessage::Parse(answer.sends[0]);
  ASSERT_TRUE(with_digest.ok());
  auto creds = with_digest->authorization();
  ASSERT_TRUE(creds.has_value()) << answer.sends[0];
  EXPECT_EQ(creds->qop, "auth");
  EXPECT_EQ(creds->nc, "00000001");
  EXPECT_FALSE(creds->cnonce.empty());
  EXPECT_EQ(creds->response, gb28181::DigestResponse(*creds, "pw", "REGISTER"));
  // A 200 without Expires: our own expiry holds (refreshed at half of it).
  SipMessage ok = SipMessage::ResponseTo(with_digest.value(), 200, "OK");
  lower.OnMessage(SipMessage::Parse(ok.ToString()).value(), 20, 0);
  ASSERT_EQ(lower.state(), LowerPlatform::State::kRegistered);
  bool refreshed = false;
  for (int64_t t = 1000; t <= 301000; t += 1000) {
    for (const std::string& s : lower.Tick(t).sends) refreshed |= s.rfind("REGISTER", 0) == 0;
    if (refreshed) {
      EXPECT_GE(t, 300000) << "not before half of 600 s";
      break;
    }
  }
  EXPECT_TRUE(refreshed);

  // An INVITE whose request URI names our platform and whose To names the channel.
  const std::string sdp =
      "v=0\r\no=34020000002000000001 0 0 IN IP4 10.0.0.1\r\ns=Play\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
      "m=video 30000 RTP/AVP 96\r\na=recvonly\r\na=rtpmap:96 PS/90000\r\ny=0100000001\r\n";
  auto invite = SipMessage::Parse(std::string("INVITE sip:") + kOurs + "@3402000000 SIP/2.0\r\n" +
                                   "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKi1\r\nFrom: <sip:" + kUpper +
                                   "@3402000000>;tag=u\r\nTo: <sip:33010202001310000004@3402000000>\r\n"
                                   "Call-ID: quirk-1\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
                                   "Content-Length: " +
                                   std::to_string(sdp.size()) + "\r\n\r\n" + sdp);
  ASSERT_TRUE(invite.ok());
  LowerPlatform::Output o = lower.OnMessage(invite.value(), 400000, 0);
  ASSERT_EQ(o.invites.size(), 1u) << (o.sends.empty() ? "" : o.sends.back());
  EXPECT_EQ(o.invites[0].camera, "33010202001310000004");
}

TEST(UpperConfig, SaysWhatIsWrong) {
  EXPECT_NE(ParseGbUpperConfig("upper_id: '1'\n", "f.yaml").error().message.find("platform_id"), std::string::npos);
  EXPECT_NE(ParseGbUpperConfig("colour: red\n", "f.yaml").error().message.find("unknown key 'colour'"),
            std::string::npos);
  const std::string good =
      std::string("platform_id: '") + kOurs + "'\nupper_id: '" + kUpper + "'\nupper_host: 10.1.1.1\npassword: p\n";
  auto c = ParseGbUpperConfig(good, "f.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->upper_domain, "3402000000");
  EXPECT_EQ(c->upper_port, 5060);
  EXPECT_NE(ParseGbUpperConfig(good + "transport: sctp\n", "f.yaml").error().message.find("udp or tcp"),
            std::string::npos);
  EXPECT_NE(ParseGbUpperConfig(good + "catalog_page: 0\n", "f.yaml").error().message.find("catalog_page"),
            std::string::npos);
  EXPECT_NE(ParseGbUpperConfig("[1, 2", "f.yaml").error().message.find("f.yaml"), std::string::npos);
}

TEST(PtzCmd, ReadsBackWhatItWrites) {
  for (const char* action : {"up", "down", "left", "right", "zoom_in", "zoom_out", "stop"}) {
    auto cmd = gb28181::PtzCmdFor(action, 160, 0);
    ASSERT_TRUE(cmd.ok());
    auto back = gb28181::ParsePtzCmd(cmd.value());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->action, action);
  }
  auto preset = gb28181::ParsePtzCmd(gb28181::PtzCmdFor("preset_goto", 0, 7).value());
  ASSERT_TRUE(preset.ok());
  EXPECT_EQ(preset->preset, 7);
  EXPECT_EQ(gb28181::ParsePtzCmd("a50f010a80800000").value().action, "up") << "lower case, a diagonal, no checksum";
  EXPECT_FALSE(gb28181::ParsePtzCmd("A50F01").ok());
  EXPECT_FALSE(gb28181::ParsePtzCmd("B50F010800000000").ok());
  EXPECT_FALSE(gb28181::ParsePtzCmd("A50F014100000000").ok()) << "focus is not taken";
}

}  // namespace
}  // namespace xl::router
