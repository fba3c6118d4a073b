// The desk's two languages (zh-CN, the default, and English) and the words it shows.
'use strict';

export const TEXT = {
  zh: { title: '雪亮 · 监控室', user: '用户名', password: '密码', login: '登录', logout: '退出', wall: '视频墙',
        alerts: '告警', health: '设备健康', layout: '布局', all_kinds: '全部类型', all_states: '全部状态',
        unit: '处置单位', note: '备注', ack: '确认', dispatch: '派警', handle: '处置完毕', close: '结案',
        camera: '摄像机', state: '状态', problem: '问题', since: '持续', no_signal: '无信号', wrong: '用户名或密码错误', login_busy: '服务器忙，正在重试…',
        new: '待确认', acknowledged: '已确认', dispatched: '已派警', handled: '已处置', closed: '已结案',
        motion: '移动侦测', face: '人脸', signal_loss: '信号丢失', frozen: '画面冻结', covered: '遮挡', blur: '模糊',
        brightness: '亮度异常', scene_change: '场景变更', object: '目标', person: '人员', bicycle: '自行车', car: '汽车', motorcycle: '摩托车', bus: '公交车', truck: '货车', motion_suppressed: '移动侦测已屏蔽 {pct}% 画面', other_lang: 'English', empty: '拖入摄像机', everything: '全部', all_regions: '全部区域', unsupported_codec: '此浏览器无法解码该视频', live_refused: '链路带宽已满',
        st_online: '在线', st_offline: '离线', st_connecting: '连接中', st_reconnecting: '重连中', st_disabled: '已停用',
        st_removed: '已删除', st_unknown: '未知', st_link_down: '链路中断', link_up: '链路正常', link_down: '链路中断', fault: '故障',
        clip_pending: '录像在事件结束后生成（含前后各 5 秒），稍后自动重试', clip_unavailable: '暂时无法获取录像，稍后自动重试',
        users: '用户', account: '账户', role: '角色', region: '区域', operator: '值班员', commander: '指挥员', admin: '管理员',
        add_user: '添加用户', user_active: '正常', user_disabled: '已停用', enable: '启用', disable: '停用',
        set_password: '重设密码', remove: '删除', old_password: '原密码', new_password: '新密码',
        change_password: '修改密码', password_changed: '密码已修改',
        alert_log_disk_full: '告警库磁盘已满：新告警暂存于各工作节点，腾出空间后自动补录',
        alert_log_unwritable: '告警库无法写入：新告警暂存于各工作节点，恢复后自动补录',
        worker_outbox_full: '工作节点告警暂存将满（先舍弃抓图，保留告警文字）：',
        step_late: '未生效：他处已先一步操作',
        playback: '录像回放', pb_zoom: '缩放', pb_speed: '倍速', pb_pause: '暂停/播放', pb_step: '下一帧',
        pb_mark_start: '标记起点', pb_mark_end: '标记终点', pb_export: '导出', pb_end: '此后暂无录像',
        pb_mark_first: '请先标记起点和终点（不超过 30 分钟）', pb_exporting: '正在导出…', pb_exported: '已导出', pb_add: '同步加一路', pb_remove: '移除',
        pb_max: '最多同时回放 4 路', pb_legend_device: '蓝色为设备（NVR/摄像机）自存录像', pb_copy: '从设备拷贝', pb_from_device: '正在播放设备上的录像', pb_copying: '正在从设备拷贝…', pb_copied: '已从设备拷贝', pb_copy_mark: '请先在蓝色区段标记起点和终点（不超过 6 小时）',
        play_recording: '播放录像' },
  en: { title: 'Xueliang · Monitoring room', user: 'User', password: 'Password', login: 'Log in', logout: 'Log out',
        wall: 'Video wall', alerts: 'Alerts', health: 'Camera health', layout: 'Layout', all_kinds: 'All kinds',
        all_states: 'All states', unit: 'Unit', note: 'Note', ack: 'Acknowledge', dispatch: 'Dispatch',
        handle: 'Handled', close: 'Close', camera: 'Camera', state: 'State', problem: 'Problem', since: 'For',
        no_signal: 'No signal', wrong: 'Wrong user or password', login_busy: 'The router is busy; trying again…', new: 'New', acknowledged: 'Acknowledged',
        dispatched: 'Dispatched', handled: 'Handled', closed: 'Closed', motion: 'Motion', face: 'Face',
        signal_loss: 'Signal loss', frozen: 'Frozen', covered: 'Covered', blur: 'Blur', brightness: 'Brightness',
        scene_change: 'Scene change', object: 'Object', person: 'person', bicycle: 'bicycle', car: 'car', motorcycle: 'motorcycle', bus: 'bus', truck: 'truck', motion_suppressed: 'motion suppressed over {pct} % of the view', other_lang: '中文', empty: 'Drop a camera here', everything: 'All', all_regions: 'All regions', unsupported_codec: 'This browser cannot decode this video', live_refused: 'No room on the link',
        st_online: 'online', st_offline: 'offline', st_connecting: 'connecting', st_reconnecting: 'reconnecting',
        st_disabled: 'disabled', st_removed: 'removed', st_unknown: 'unknown', st_link_down: 'link down', link_up: 'link up', link_down: 'link down', fault: 'fault',
        clip_pending: 'The clip is written once the event is over (with 5 s before and after); trying again shortly',
        clip_unavailable: 'The clip cannot be fetched now; trying again shortly',
        users: 'Users', account: 'Account', role: 'Role', region: 'Region', operator: 'Operator', commander: 'Commander',
        admin: 'Admin', add_user: 'Add user', user_active: 'active', user_disabled: 'disabled', enable: 'Enable',
        disable: 'Disable', set_password: 'New password', remove: 'Remove', old_password: 'Old password',
        new_password: 'New password', change_password: 'Change password', password_changed: 'Password changed',
        alert_log_disk_full: 'Alert log disk full: new alerts wait at the workers and are stored once there is room',
        alert_log_unwritable: 'Alert log cannot be written: new alerts wait at the workers and are stored once it can',
        worker_outbox_full: 'Worker outbox nearly full (snapshots go first, alert text stays):',
        step_late: 'not applied: another centre was first',
        playback: 'Playback', pb_zoom: 'Zoom', pb_speed: 'Speed', pb_pause: 'Pause/play', pb_step: 'Next frame',
        pb_mark_start: 'Mark start', pb_mark_end: 'Mark end', pb_export: 'Export', pb_end: 'Nothing recorded after this (yet)',
        pb_mark_first: 'Mark a start and an end first (30 minutes at most)', pb_exporting: 'Exporting…', pb_exported: 'Exported', pb_add: 'Add in sync', pb_remove: 'Remove',
        pb_max: 'Four cameras at most', pb_legend_device: 'In blue: recordings kept on the device (NVR/camera)', pb_copy: 'Copy from device', pb_from_device: 'Playing the recording kept on the device', pb_copying: 'Copying from the device…', pb_copied: 'Copied from the device', pb_copy_mark: 'Mark a start and an end on the blue band first (6 hours at most)',
        play_recording: 'Play the recording' },
};
export const KINDS = ['motion', 'object', 'face', 'signal_loss', 'frozen', 'covered', 'blur', 'brightness', 'scene_change'];
export const STATES = ['new', 'acknowledged', 'dispatched', 'handled', 'closed'];
let lang = localStorage.getItem('lang') || 'zh';
// The language in use: 'zh' or 'en' (kept in the browser).
export function language() { return lang; }
export function toggleLanguage() {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('lang', lang);
}
// The word for `key` in the language in use (the key itself when there is none).
export function t(key) { return TEXT[lang][key] || key; }
