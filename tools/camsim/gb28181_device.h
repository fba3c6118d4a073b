// xl-camsim --gb28181: one simulated GB/T 28181 device (an NVR with N channels) on the GLib
// main loop. It registers to the platform with digest authentication (again every 3 s after
// a refusal), sends keepalives, re-registers before its registration expires, answers
// Catalog queries (split across messages of `catalog_page` items) and DeviceInfo, and logs
// every PTZ command it receives. Logs one line per state change, "gbsim <ID>: ...".
//
// Its recordings (RecordInfo, split across messages of `record_page` items): every channel
// with media has recorded its clip over and over since kRecordedForS before the device
// started, one file a loop of the clip, except every kGapEvery-th file (a gap, as a device's
// disk shows after a power cut). It plays them back (INVITE s=Playback: at 1×, then as INFO's
// MANSRTSP says — PLAY, PAUSE, Scale, Range) and sends them for download (s=Download, at
// a=downloadspeed), from the keyframe at or before t='s start to its end, then MediaStatus 121.
#pragma once

#include <gio/gio.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/gst_handles.h"
#include "common/status.h"
#include "proto/gb28181/manscdp.h"
#include "proto/gb28181/sip_message.h"
#include "tools/camsim/encoded_clip.h"
#include "tools/camsim/gb28181_media.h"

namespace xl::camsim {

struct GbDeviceOptions {
  std::string server_host = "127.0.0.1";
  int server_port = 5060;
  std::string transport = "udp";  // or "tcp"
  std::string platform_id = "34020000002000000001";
  std::string realm = "3402000000";
  std::string device_id = "34020000001110000001";
  std::string password;
  std::string name = "模拟NVR";
  int channels = 4;
  int catalog_page = 2;  // catalog items per MESSAGE
  int record_page = 4;   // RecordInfo items per MESSAGE
  int keepalive_s = 60;
  int expires_s = 3600;
  // Live video: channel i sends media[i % size] (none: INVITEs are refused with 488).
  std::vector<std::shared_ptr<const EncodedClip>> media;
  int stall_media_after_s = 0;  // > 0: each call's video stops after this long, without BYE
  bool garbage = false;         // mix bad RTP into the video; send a malformed SIP message after registering
  // Real-world deviations from the standard, to test that we accept them (kGbQuirks).
  std::set<std::string> quirks;
};

// The quirks a simulated device can have, each as deployed devices show it (docs/gb28181.md):
//   short-ssrc       the SDP answer's y= without its leading zero ("y=200000001")
//   other-ssrc       video sent with an SSRC of its own, not the one it answered
//   from-uri-digest  digest uri= is its own From URI, not the REGISTER's Request-URI
//   ip-uri-digest    REGISTER to, and digest uri= of, sip:<platform>@<ip>:<port>
//   foreign-via      responses carry a Via of its own instead of echoing ours
//   content-type-case  Content-Type in capitals (APPLICATION/MANSCDP+XML, application/SDP)
//   no-trying        no 100 Trying before its answer to INVITE
//   odd-transport    the SDP answer names the other transport; video comes as offered
//   no-deviceinfo    DeviceInfo queries get a 200 and never an answer
//   gbk-catalog      channel names with GBK characters beyond the declared GB2312
//   sparse-catalog   catalog items with only a DeviceID, and no SumNum
//   duplicate-items  each catalog message repeats the previous one's last item
//   bad-sumnum       SumNum 3 more than the channels it sends
//   nat              Via and Contact name a port 1000 above the one it sends from
//   new-callid       every REGISTER with a new Call-ID
//   moves            a new source port after each registration (a NAT's new mapping): the next
//                    keepalive comes from there, then the registration refresh
//   slow-clock       RTP timestamps advance 40 per frame (a 1 kHz clock read as 90 kHz)
//   ts-jump          RTP timestamps start just short of the 32-bit wrap and jump every 5 s
//   no-psm           MPEG-PS without system header or stream map, even on keyframes
//   ps-audio         G.711 A-law audio (stream 0xC0, type 0x90) beside the video
//   one-call         one live call at a time: further INVITEs ignored while one runs
//   bad-answer       answers INVITE with an SDP no one can use (y= not a number); checks
//                    that the platform's BYE is in the INVITE's dialog
//   record-space-time  RecordInfo times with a space for the 'T' ("2026-12-03 03:10:00")
//   status-outside-dialog  MediaStatus 121 (a recording sent to its end) with a Call-ID of
//                    its own instead of the call's
inline const std::set<std::string> kGbQuirks = {
    "short-ssrc", "other-ssrc",    "from-uri-digest", "ip-uri-digest", "foreign-via",       "content-type-case",
    "no-trying",  "odd-transport", "no-deviceinfo",   "gbk-catalog",   "sparse-catalog",    "duplicate-items",
    "bad-sumnum", "nat",           "new-callid",      "moves",         "slow-clock",        "ts-jump",
    "no-psm",     "ps-audio",      "one-call",        "bad-answer",    "record-space-time", "status-outside-dialog"};

class GbDeviceSim {
 public:
  static constexpr int64_t kRecordedForS = 2 * 3600;  // recordings reach back this far before the start
  static constexpr int kGapEvery = 10;                // every 10th file is missing
  // Connects (TCP) or binds (UDP) and sends the first REGISTER. Requires a main loop.
  static Result<std::unique_ptr<GbDeviceSim>> Start(GbDeviceOptions options);
  ~GbDeviceSim();

  // Stops or resumes keepalives (a device whose network drops, then comes back).
  void PauseKeepalives(bool paused);
  // Ends every live call with a BYE (a device that restarts its encoder, say).
  void HangUpAll();

 private:
  explicit GbDeviceSim(GbDeviceOptions options) : o_(std::move(options)) {}
  static gboolean OnReadable(GSocket*, GIOCondition, gpointer self);
  static gboolean OnKeepalive(gpointer self);
  static gboolean OnRegisterTimer(gpointer self);
  // moves: sends from a new socket (a new source port) from now on.
  void Move();
  void Register(const gb28181::DigestCredentials* challenge);
  void Handle(const gb28181::SipMessage& m);
  void OnInvite(const gb28181::SipMessage& m);
  void OnAck(const gb28181::SipMessage& m);
  void OnBye(const gb28181::SipMessage& m);
  void OnInfo(const gb28181::SipMessage& m);
  // A recording call sent all it had: MediaStatus 121.
  void OnRecordingSent(const std::string& call_id);
  // Where the recordings of a channel playing `clip` lie: files of FileMs from RecordedFromMs.
  static int64_t FileMs(const EncodedClip& clip) { return std::max<int64_t>(1000, clip.duration_ns / 1000000); }
  int64_t RecordedFromMs() const { return started_ms_ - kRecordedForS * 1000; }
  static bool FileMissing(int64_t n) { return n % kGapEvery == kGapEvery - 1; }
  void SendRequest(const std::string& method, const std::string& body);
  void Send(const std::string& bytes);
  // Answers `request` (with a Via of our own under foreign-via).
  void Respond(const gb28181::SipMessage& request, int code, const std::string& reason);
  void Respond(const gb28181::SipMessage& response);
  bool Has(const char* quirk) const { return o_.quirks.count(quirk) > 0; }
  // Opens the socket (UDP: bound to a fresh port) and starts reading it.
  Status Open();
  std::string Advertised() const;  // the host:port we put in Via and Contact
  // A request to the platform from this device (To: `to_id`), with the common headers.
  gb28181::SipMessage NewRequest(const std::string& method, const std::string& to_id, const std::string& call_id);
  std::string ChannelId(int i) const;
  // Answers a RecordInfo query with the recordings of its channel (in pages of record_page).
  void AnswerRecordInfo(const gb28181::Manscdp& query);

  GbDeviceOptions o_;
  int64_t started_ms_ = 0;  // wall clock: the recordings are laid out from it
  gst::GObjectPtr<GSocketConnection> tcp_;
  gst::GObjectPtr<GSocket> socket_;
  gst::GObjectPtr<GSocketAddress> server_;
  gst::SourcePtr source_;
  gb28181::SipStream stream_;  // tcp
  std::string local_;          // our host:port
  std::string call_id_;        // of REGISTER
  long cseq_ = 1;
  long sn_ = 1;
  bool registered_ = false;
  bool move_due_ = false;  // moves: a new port before the next keepalive or refresh
  bool paused_ = false;
  guint keepalive_timer_ = 0;
  guint register_timer_ = 0;
  struct Call {
    std::string channel_id;
    std::string platform_tag, our_tag;
    long invite_cseq = 0;
    std::string answer;  // our 200, for a retransmitted INVITE
    std::unique_ptr<GbMediaSender> sender;
    bool started = false;
  };
  std::map<std::string, Call> calls_;  // by Call-ID
};

}  // namespace xl::camsim

namespace xl::camsim {

// xl-camsim --gb28181 HOST:PORT [options]: runs simulated devices until SIGINT/SIGTERM;
// SIGUSR1 pauses every device's keepalives, SIGUSR2 resumes them. Returns the exit code.
int RunGbDevices(int argc, char** argv);

}  // namespace xl::camsim
