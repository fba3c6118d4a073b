#include "tools/camsim/rtsp_mounts.h"

#include <gst/app/gstappsrc.h>
#include <spdlog/spdlog.h>

#include "common/gst_handles.h"

namespace xl::camsim {
namespace {

// Feeds one media's appsrc from a clip, looping; one per constructed media.
struct Feeder {
  std::shared_ptr<const EncodedClip> clip;  // kept alive by every media that plays it
  std::string name;
  size_t next = 0;
  int64_t loop_offset_ns = 0;
  int64_t mark_ns = -1;  // logs when the frame at this time of the clip is due, each loop
  bool marked = false;   // in this loop
};

// "camsim: /NAME mark at WALL_MS": the wall-clock time (ms since the epoch) at which the
// frame at `running_ns` is due to go out: the media's clock time for it (base time plus
// running time: the stream starts at 0), moved onto the wall clock.
void LogMark(GstElement* appsrc, const Feeder& f, int64_t running_ns) {
  GstClock* clock = gst_element_get_clock(appsrc);
  if (!clock) return;
  const int64_t due = int64_t(gst_element_get_base_time(appsrc)) + running_ns;
  const int64_t now = int64_t(gst_clock_get_time(clock));
  gst_object_unref(clock);
  const int64_t wall_us = g_get_real_time() + (due - now) / 1000;
  spdlog::info("camsim: /{} mark at {}", f.name, wall_us / 1000);
}

void NeedData(GstElement* appsrc, guint, gpointer data) {
  auto* f = static_cast<Feeder*>(data);
  const AccessUnit& au = f->clip->units[f->next];
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, au.bytes.size(), nullptr);
  gst_buffer_fill(buf, 0, au.bytes.data(), au.bytes.size());
  GST_BUFFER_PTS(buf) = f->loop_offset_ns + au.pts_ns;
  GST_BUFFER_DTS(buf) = f->loop_offset_ns + au.dts_ns;
  GST_BUFFER_DURATION(buf) = au.duration_ns;
  if (!au.keyframe) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  if (f->mark_ns >= 0 && !f->marked && au.pts_ns >= f->mark_ns) {
    f->marked = true;
    LogMark(appsrc, *f, f->loop_offset_ns + au.pts_ns);
  }
  gst_app_src_push_buffer(GST_APP_SRC(appsrc), buf);
  if (++f->next == f->clip->units.size()) {
    f->next = 0;
    f->loop_offset_ns += f->clip->duration_ns;
    f->marked = false;
  }
}

void MediaConfigure(GstRTSPMediaFactory*, GstRTSPMedia* media, gpointer data) {
  auto* feeder = new Feeder(*static_cast<Feeder*>(data));
  gst::ElementPtr element(gst_rtsp_media_get_element(media));
  GstElement* appsrc = gst_bin_get_by_name_recurse_up(GST_BIN(element.get()), "src");
  const bool h265 = feeder->clip->codec == "h265";
  GstCaps* caps = gst_caps_from_string(h265 ? "video/x-h265,stream-format=byte-stream,alignment=au"
                                            : "video/x-h264,stream-format=byte-stream,alignment=au");
  g_object_set(appsrc, "caps", caps, "format", GST_FORMAT_TIME, nullptr);
  gst_caps_unref(caps);
  // The feeder lives as long as the appsrc whose streaming thread calls it (the media may
  // go first while that thread still runs: a heap-use-after-free under AddressSanitizer).
  g_signal_connect_data(
      appsrc, "need-data", G_CALLBACK(NeedData), feeder, [](gpointer p, GClosure*) { delete static_cast<Feeder*>(p); },
      GConnectFlags(0));
  gst_object_unref(appsrc);
  spdlog::info("camsim: /{} started", feeder->name);
}

}  // namespace

RtspMounts::RtspMounts(const ServerOptions& options) : server_(gst_rtsp_server_new()), auth_(!options.user.empty()) {
  gst_rtsp_server_set_service(server_, std::to_string(options.port).c_str());
  gst_rtsp_server_set_address(server_, options.bind.c_str());
  mounts_ = gst_rtsp_server_get_mount_points(server_);
  // One line per RTSP client, so tests can count who pulls the cameras.
  g_signal_connect(
      server_, "client-connected",
      G_CALLBACK(+[](GstRTSPServer*, GstRTSPClient*, gpointer) { spdlog::info("camsim: client connected"); }), nullptr);
  if (auth_) {
    GstRTSPAuth* auth = gst_rtsp_auth_new();
    gst_rtsp_auth_set_supported_methods(auth, GST_RTSP_AUTH_DIGEST);
    GstRTSPToken* token = gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, "viewer", nullptr);
    gst_rtsp_auth_add_digest(auth, options.user.c_str(), options.password.c_str(), token);
    gst_rtsp_token_unref(token);
    gst_rtsp_server_set_auth(server_, auth);
    g_object_unref(auth);
  }
}

RtspMounts::~RtspMounts() {
  if (source_) g_source_remove(source_);
  g_object_unref(mounts_);
  g_object_unref(server_);
}

void RtspMounts::Add(const std::string& name, std::shared_ptr<const EncodedClip> clip, bool split_keyframes,
                     double mark_s) {
  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  const bool h265 = clip->codec == "h265";
  std::string launch =
      std::string("( appsrc name=src is-live=true do-timestamp=false ! ") +
      (h265 ? "h265parse config-interval=-1 ! rtph265pay" : "h264parse config-interval=-1 ! rtph264pay") +
      // Parameter sets from the parser, once per keyframe: the 1.22 payloader
      // puts them before every slice of a keyframe (a split picture).
      " name=pay0 pt=96 config-interval=" + (split_keyframes ? "-1" : "0") + " )";
  gst_rtsp_media_factory_set_launch(factory, launch.c_str());
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  if (auth_) {
    gst_rtsp_media_factory_add_role(factory, "viewer", GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
                                    GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, nullptr);
  }
  // The template is copied for each constructed media.
  auto* tmpl = new Feeder{std::move(clip), name};
  if (mark_s >= 0) tmpl->mark_ns = int64_t(mark_s * 1e9);
  g_signal_connect_data(
      factory, "media-configure", G_CALLBACK(MediaConfigure), tmpl,
      [](gpointer p, GClosure*) { delete static_cast<Feeder*>(p); }, GConnectFlags(0));
  gst_rtsp_mount_points_add_factory(mounts_, ("/" + name).c_str(), factory);
}

bool RtspMounts::Attach() {
  source_ = gst_rtsp_server_attach(server_, nullptr);
  return source_ != 0;
}

}  // namespace xl::camsim
