#include "router/live/rtsp_out.h"

#include <glib/gstdio.h>

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <spdlog/spdlog.h>

#include <set>

#include "common/clock.h"

namespace xl::router {

namespace {
constexpr guint64 kMaxQueuedBytes = 8 << 20;  // a player this far behind skips to a keyframe

// What a signal of gst-rtsp-server (on its own threads) needs to reach the RtspOut.
struct SignalData {
  RtspOut* out;
  std::weak_ptr<int> alive;  // expired: the RtspOut is gone
  std::string camera;
};

// Runs `fn(out, media)` on the loop thread (out is null when the RtspOut is gone by then),
// holding a reference to `media` meanwhile.
template <typename Fn>
void OnLoop(const SignalData& d, GstRTSPMedia* media, Fn fn) {
  g_object_ref(media);
  auto run = [out = d.out, alive = d.alive, media, fn = std::move(fn)] {
    fn(alive.expired() ? nullptr : out, media);
    g_object_unref(media);
  };
  using Run = decltype(run);
  auto* heap = new Run(std::move(run));
  g_main_context_invoke_full(
      nullptr, G_PRIORITY_DEFAULT,
      [](gpointer p) -> gboolean {
        (*static_cast<Run*>(p))();
        return G_SOURCE_REMOVE;
      },
      heap, [](gpointer p) { delete static_cast<Run*>(p); });
}
}  // namespace

// One shared media's appsrc, as a relay viewer.
class RtspOut::Feed : public LiveViewer {
 public:
  explicit Feed(GstElement* appsrc) : appsrc_(appsrc) {}
  ~Feed() override { gst_object_unref(appsrc_); }
  bool Offer(const LiveFramePtr& frame) override {
    if (gst_app_src_get_current_level_bytes(GST_APP_SRC(appsrc_)) > kMaxQueuedBytes) return false;
    const std::string& data = frame->video.data();
    // Zero copy: the buffer holds a reference to the shared frame.
    GstBuffer* buf = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, const_cast<char*>(data.data()), data.size(),
                                                 0, data.size(), new LiveFramePtr(frame),
                                                 [](gpointer p) { delete static_cast<LiveFramePtr*>(p); });
    if (!frame->video.keyframe()) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
    return gst_app_src_push_buffer(GST_APP_SRC(appsrc_), buf) == GST_FLOW_OK;
  }

 private:
  GstElement* appsrc_;
};

RtspOut::RtspOut(LiveRelay& relay) : relay_(relay) {}

Result<std::unique_ptr<RtspOut>> RtspOut::Start(const RtspOutConfig& config, LiveRelay& relay) {
  std::unique_ptr<RtspOut> out(new RtspOut(relay));
  GError* err = nullptr;
  gchar* dir = g_dir_make_tmp("xl-rtsp-XXXXXX", &err);  // mode 0700
  if (!dir) {
    std::string msg = err ? err->message : "unknown error";
    g_clear_error(&err);
    return Error{"RTSP: cannot make a private temporary folder: " + msg};
  }
  out->digest_dir_ = dir;
  g_free(dir);
  out->server_ = gst_rtsp_server_new();
  gst_rtsp_server_set_address(out->server_, config.address.c_str());
  gst_rtsp_server_set_service(out->server_, std::to_string(config.port).c_str());
  out->mounts_ = gst_rtsp_server_get_mount_points(out->server_);
  GstRTSPAuth* auth = NewRtspAuth(out->access_);
  gst_rtsp_server_set_auth(out->server_, auth);
  g_object_unref(auth);
  // Players on a thread a core: a DESCRIBE waits (up to 20 s) for the camera's first keyframe,
  // which only the loop can deliver.
  GstRTSPThreadPool* pool = gst_rtsp_server_get_thread_pool(out->server_);
  gst_rtsp_thread_pool_set_max_threads(pool, gint(std::max(1u, g_get_num_processors())));
  g_object_unref(pool);
  out->source_ = gst_rtsp_server_attach(out->server_, nullptr);
  if (!out->source_) return Error{"cannot listen for RTSP on " + config.address + ":" + std::to_string(config.port)};
  out->port_ = gst_rtsp_server_get_bound_port(out->server_);
  return out;
}

void RtspOut::SetLogins(const std::vector<UserStore::RtspLogin>& logins) {
  GstRTSPAuth* auth = gst_rtsp_server_get_auth(server_);
  std::map<std::string, UserStore::RtspLogin> next;
  for (const auto& l : logins) next[l.name] = l;
  std::set<std::string> gone;  // users whose players must log in again, or not at all
  for (const auto& [name, old] : logins_) {
    auto it = next.find(name);
    if (it == next.end() || it->second.ha1 != old.ha1 || it->second.region != old.region) {
      gone.insert(name);
      gst_rtsp_auth_remove_digest(auth, name.c_str());
    }
  }
  const std::string file = digest_dir_ + "/htdigest";
  for (const auto& [name, l] : next) {
    auto was = logins_.find(name);
    if (was != logins_.end() && !gone.count(name)) continue;
    // gst-rtsp-server takes a stored HA1 only from an htdigest file; one line per user, so
    // each gets a token naming them.
    if (!g_file_set_contents(file.c_str(), (name + ":" + kRtspRealm + ":" + l.ha1 + "\n").c_str(), -1, nullptr)) {
      spdlog::error("RTSP: cannot write {}: user {} cannot log in", file, name);
      continue;
    }
    GstRTSPToken* token = gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, "viewer", "xl.user",
                                             G_TYPE_STRING, name.c_str(), nullptr);
    if (!gst_rtsp_auth_parse_htdigest(auth, file.c_str(), token)) spdlog::error("RTSP: cannot load user {}", name);
    gst_rtsp_token_unref(token);
    g_unlink(file.c_str());
  }
  logins_ = std::move(next);
  g_object_unref(auth);
  std::map<std::string, std::string> regions;
  for (const auto& [name, l] : logins_) regions[name] = l.region;
  access_->SetUsers(std::move(regions));
  if (gone.empty()) return;
  gst_rtsp_server_client_filter(
      server_,
      [](GstRTSPServer*, GstRTSPClient* client, gpointer data) {
        const auto* user = static_cast<const gchar*>(g_object_get_data(G_OBJECT(client), "xl-user"));
        return user && static_cast<std::set<std::string>*>(data)->count(user) ? GST_RTSP_FILTER_REMOVE
                                                                              : GST_RTSP_FILTER_KEEP;
      },
      &gone);
  for (const std::string& name : gone) spdlog::info("RTSP: players of user {} disconnected (user changed)", name);
}

RtspOut::~RtspOut() {
  if (server_) {
    gst_rtsp_server_client_filter(
        server_, [](GstRTSPServer*, GstRTSPClient*, gpointer) { return GST_RTSP_FILTER_REMOVE; }, nullptr);
  }
  if (!digest_dir_.empty()) g_rmdir(digest_dir_.c_str());
  for (auto& [media, feed] : feeds_) relay_.Remove(feed.get(), 0);
  if (source_) g_source_remove(source_);
  if (mounts_) g_object_unref(mounts_);
  if (server_) g_object_unref(server_);
}

void RtspOut::SetCameras(const std::map<std::string, RtspCamera>& cameras) {
  std::map<std::string, std::string> regions;
  for (const auto& [id, c] : cameras) {
    Mount(id, c.codec);
    regions[id] = c.region;
  }
  for (auto it = mounted_.begin(); it != mounted_.end();) {
    const std::string id = (it++)->first;  // Mount("") erases it
    if (!cameras.count(id)) Mount(id, "");
  }
  access_->SetCameras(std::move(regions));
}

void RtspOut::Mount(const std::string& camera, const std::string& codec) {
  auto it = mounted_.find(camera);
  if (it != mounted_.end() && it->second == codec) return;
  const std::string path = "/" + camera;
  if (it != mounted_.end()) {
    gst_rtsp_mount_points_remove_factory(mounts_, path.c_str());
    mounted_.erase(it);
  }
  if (codec != "h264" && codec != "h265") return;
  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  const std::string launch = std::string("( appsrc name=src is-live=true do-timestamp=true format=time caps=") +
                             (codec == "h265" ? "video/x-h265,stream-format=byte-stream,alignment=au ! h265parse "
                                                "config-interval=-1 ! rtph265pay"
                                              : "video/x-h264,stream-format=byte-stream,alignment=au ! h264parse "
                                                "config-interval=-1 ! rtph264pay") +
                             // Parameter sets from the parser, once per keyframe: the 1.22
                             // payloader would put them before every slice of a keyframe,
                             // splitting multi-slice pictures in two for every player.
                             " name=pay0 pt=96 config-interval=0 )";
  gst_rtsp_media_factory_set_launch(factory, launch.c_str());
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  gst_rtsp_media_factory_add_role(factory, "viewer", GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
                                  GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, nullptr);
  // Both signals come from gst-rtsp-server's threads and reach the loop in the order they came.
  g_signal_connect_data(
      factory, "media-constructed", G_CALLBACK(+[](GstRTSPMediaFactory*, GstRTSPMedia* media, gpointer p) {
        auto* d = static_cast<SignalData*>(p);
        g_signal_connect_data(
            media, "unprepared", G_CALLBACK(+[](GstRTSPMedia* m, gpointer p) {
              OnLoop(*static_cast<SignalData*>(p), m, [](RtspOut* out, GstRTSPMedia* m) {
                if (out) out->OnMediaGone(m);
              });
            }),
            new SignalData(*d), [](gpointer p, GClosure*) { delete static_cast<SignalData*>(p); }, GConnectFlags(0));
        OnLoop(*d, media, [camera = d->camera](RtspOut* out, GstRTSPMedia* m) {
          if (out) out->OnMediaConstructed(camera, m);
        });
      }),
      new SignalData{this, alive_, camera}, [](gpointer p, GClosure*) { delete static_cast<SignalData*>(p); },
      GConnectFlags(0));
  gst_rtsp_mount_points_add_factory(mounts_, path.c_str(), factory);
  mounted_[camera] = codec;
}

void RtspOut::OnMediaConstructed(const std::string& camera, void* raw) {
  auto* media = static_cast<GstRTSPMedia*>(raw);
  GstElement* element = gst_rtsp_media_get_element(media);
  GstElement* appsrc = gst_bin_get_by_name_recurse_up(GST_BIN(element), "src");
  gst_object_unref(element);
  if (!appsrc) return;
  g_object_set(appsrc, "max-bytes", guint64(kMaxQueuedBytes * 2), "block", FALSE, nullptr);
  // appsrc's do-timestamp stamps a buffer taken in the moment gst-rtsp-server starts a live
  // media against a base time of 0: with the clock's absolute time, hours ahead, so the RTP
  // sink would wait hours for it and the player would get nothing. Such a stamp is removed
  // (the buffer then goes out at once).
  GstPad* pad = gst_element_get_static_pad(appsrc, "src");
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad* pad, GstPadProbeInfo* info, gpointer) -> GstPadProbeReturn {
        GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
        if (!GST_BUFFER_PTS_IS_VALID(buf)) return GST_PAD_PROBE_OK;
        GstElement* src = GST_ELEMENT(gst_pad_get_parent(pad));
        if (!src) return GST_PAD_PROBE_OK;
        const GstClockTime base = gst_element_get_base_time(src);
        GstClock* clock = gst_element_get_clock(src);
        const GstClockTime running = clock && base ? gst_clock_get_time(clock) - base : GST_CLOCK_TIME_NONE;
        if (clock) gst_object_unref(clock);
        gst_object_unref(src);
        if (GST_CLOCK_TIME_IS_VALID(running) && GST_BUFFER_PTS(buf) <= running + GST_SECOND) return GST_PAD_PROBE_OK;
        buf = gst_buffer_make_writable(buf);
        GST_BUFFER_PTS(buf) = GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
        GST_PAD_PROBE_INFO_DATA(info) = buf;
        return GST_PAD_PROBE_OK;
      },
      nullptr, nullptr);
  gst_object_unref(pad);
  auto feed = std::make_unique<Feed>(appsrc);
  relay_.Add(camera, feed.get(), "rtsp", MonotonicMs());
  feeds_[raw] = std::move(feed);
}

void RtspOut::OnMediaGone(void* media) {
  auto it = feeds_.find(media);
  if (it == feeds_.end()) return;
  relay_.Remove(it->second.get(), MonotonicMs());
  feeds_.erase(it);
}

}  // namespace xl::router
