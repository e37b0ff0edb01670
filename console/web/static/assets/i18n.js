// All the console's UI text, Chinese (the default) and English, and the
// language switch. Elements carry data-i18n="key" (their text) or
// data-i18n-placeholder / data-i18n-title / data-i18n-aria-label="key";
// scripts call t(key, {name: value}).

const text = {
  zh: {
    "app.title": "热线控制台",
    "lang.label": "语言",
    "nav.agent": "坐席工作台",
    "nav.board": "监控墙",
    "nav.recordings": "录音",
    "signin.title": "登录",
    "signin.user": "用户名",
    "signin.password": "密码",
    "signin.submit": "登录",
    "signout": "退出",
    "who": "{user}（{role}）",
    "role.agent": "坐席",
    "role.qa": "质检",
    "role.manager": "经理",
    "role.supervisor": "主管",
    "role.admin": "管理员",
    "stream.lost": "与服务器的实时连接已断开，正在重连…",
    "error.generic": "出错了：{msg}",

    "outcome.self_service": "自助服务",
    "outcome.queued": "人工服务",
    "outcome.transferred": "已转接",
    "outcome.abandoned": "放弃",
    "outcome.no_input": "无声挂断",
    "outcome.message": "留言",
    "outcome.completed": "已完成",
    "outcome.error": "系统错误",
    "outcome.lost": "与交换机断开",
    "outcome.callback": "预约回拨",
    "state.logged_out": "未登录",
    "state.not_ready": "未就绪",
    "state.ready": "就绪",
    "state.ringing": "振铃",
    "state.on_call": "通话中",
    "state.wrap_up": "话后处理",
    "state.in": "已 {time}",
    "state.wrapLeft": "剩余 {time}",
    "agent.none": "您的账号没有关联工号。",
    "agent.login": "签入",
    "agent.ready": "就绪",
    "agent.notReady": "未就绪",
    "agent.reason": "原因",
    "agent.logout": "签出",
    "agent.endWrapUp": "结束话后处理",
    "reason.break": "休息",
    "reason.meal": "用餐",
    "reason.meeting": "会议",
    "reason.training": "培训",
    "reason.coaching": "辅导",
    "reason.admin": "事务处理",
    "reason.login": "刚签入",
    "reason.missed": "未接来电",
    "reason.lost": "与交换机失联",

    "call.title": "当前通话",
    "call.none": "暂无通话",
    "call.caller": "来电号码",
    "call.hotline": "热线",
    "call.queue": "队列",
    "call.wait": "排队时长",
    "call.path": "IVR 路径",
    "call.vars": "客户输入",
    "call.language": "语言",
    "call.phase": "通话阶段",
    "call.callback": "回呼",
    "phase.ringing": "振铃中",
    "phase.connecting": "接通中（报工号、耳语）",
    "phase.dialing": "回呼中（客户振铃）",
    "phase.talking": "通话中",
    "phase.held": "保持中",
    "phase.wait": "通话接通后才能保持、转接或监听。",
    "lang.zh": "中文",
    "lang.en": "英文",
    "call.hold": "保持",
    "call.unhold": "取回",
    "call.transferQueue": "转队列",
    "call.transferAgent": "转同事",
    "call.colleague": "同事工号",
    "call.pciPause": "暂停录音（银行卡信息）",
    "call.pciResume": "恢复录音",
    "call.pciPaused": "录音已暂停",
    "call.pciReason": "客户提供银行卡信息",
    "phrase.greeting": "您好，请问有什么可以帮您",
    "phrase.louder": "请大声一点",
    "phrase.mandarin": "请讲普通话",
    "phrase.handset": "请拿起话筒",
    "phrase.anything-else": "还有其他问题吗",
    "phrase.goodbye": "结束语",
    "phrase.please-hold": "请稍候",
    "phrase.silent": "无声电话（结束通话）",
    "phrase.too-quiet": "声音太小（结束通话）",
    "phrase.noise": "杂音（结束通话）",
    "dispo.title": "话后小结",
    "dispo.code": "类别",
    "dispo.note": "备注",
    "dispo.save": "保存小结",
    "dispo.saved": "已保存",
    "dispo.inquiry": "咨询",
    "dispo.complaint": "投诉",
    "call.survey": "转满意度调查",
    "history.title": "来电历史",
    "history.at": "时间",
    "history.disposition": "小结",
    "history.none": "该号码没有更早的来电。",
    "today.line": "今日：接听 {answered} 通 · 平均处理时长 {aht} · 满意度 {csat}",
    "softphone.title": "软电话",
    "sp.state.off": "未连接",
    "sp.state.connecting": "正在连接…",
    "sp.state.connected": "已连接",
    "sp.state.reconnecting": "连接中断，正在重新连接…",
    "sp.state.sip": "请在话机 {device} 上接听",
    "sp.state.none": "未配置话机",
    "sp.state.elsewhere": "软电话正在您的另一个页面中使用",
    "sp.take": "在此页面使用",
    "sp.nomic": "无法使用麦克风：{msg}",
    "sp.unavailable": "软电话不可用：{msg}",
    "sp.incoming": "来电",
    "sp.answer": "接听",
    "sp.reject": "拒接",
    "sp.hangup": "挂断",
    "sp.mute": "静音",
    "sp.unmute": "取消静音",
    "sp.muted": "已静音",
    "sp.keypad": "拨号键盘",

    "board.queues": "队列",
    "board.agents": "坐席",
    "board.since": "今日统计",
    "board.today": "今日统计（{day}，自 0 点起）",
    "board.todaySince": "今日统计（{day}，自服务启动时 {time} 起）",
    "q.name": "队列",
    "q.waiting": "排队",
    "q.longest": "最长等待",
    "q.sl": "今日服务水平",
    "q.abandon": "今日放弃率",
    "q.answered": "今日接通",
    "q.abandoned": "今日放弃",
    "q.ready": "就绪 / 签入",
    "q.aht": "平均处理时长",
    "a.id": "工号",
    "a.name": "姓名",
    "a.state": "状态",
    "a.time": "状态时长",
    "a.queue": "队列",
    "a.call": "当前通话",
    "a.answered": "接听数",
    "a.supervise": "监听 / 耳语 / 强插",
    "sup.listen": "监听",
    "sup.whisper": "耳语",
    "sup.barge": "强插",
    "sup.end": "结束监控",
    "sup.active": "正在{mode}坐席 {agent}（会话 {session}），您的话机将振铃。",
    "sup.noDevice": "您的账号未配置话机，无法监听。",

    "rec.title": "录音查询",
    "rec.from": "开始时间",
    "rec.to": "结束时间",
    "rec.queue": "队列",
    "rec.agent": "工号",
    "rec.caller": "来电号码",
    "rec.outcome": "结果",
    "rec.search": "查询",
    "rec.more": "更多",
    "rec.none": "没有符合条件的录音。",
    "rec.started": "开始",
    "rec.duration": "时长",
    "rec.csat": "满意度",
    "rec.pci": "暂停次数",
    "rec.state": "状态",
    "rec.play": "播放",
    "rec.playing": "正在播放 {id}",
  },
  en: {
    "app.title": "Hotline console",
    "lang.label": "Language",
    "nav.agent": "Agent desktop",
    "nav.board": "Wallboard",
    "nav.recordings": "Recordings",
    "signin.title": "Sign in",
    "signin.user": "User name",
    "signin.password": "Password",
    "signin.submit": "Sign in",
    "signout": "Sign out",
    "who": "{user} ({role})",
    "role.agent": "agent",
    "role.qa": "QA",
    "role.manager": "manager",
    "role.supervisor": "supervisor",
    "role.admin": "administrator",
    "stream.lost": "The live connection to the server was lost; reconnecting…",
    "error.generic": "Something went wrong: {msg}",

    "outcome.self_service": "Self-service",
    "outcome.queued": "Served by an agent",
    "outcome.transferred": "Transferred",
    "outcome.abandoned": "Abandoned",
    "outcome.no_input": "Silent, hung up",
    "outcome.message": "Voice message",
    "outcome.completed": "Completed",
    "outcome.error": "System error",
    "outcome.lost": "Lost with the PBX",
    "outcome.callback": "Call-back booked",
    "state.logged_out": "Logged out",
    "state.not_ready": "Not ready",
    "state.ready": "Ready",
    "state.ringing": "Ringing",
    "state.on_call": "On a call",
    "state.wrap_up": "Wrap-up",
    "state.in": "for {time}",
    "state.wrapLeft": "{time} left",
    "agent.none": "Your user has no agent ID.",
    "agent.login": "Log in",
    "agent.ready": "Ready",
    "agent.notReady": "Not ready",
    "agent.reason": "Reason",
    "agent.logout": "Log out",
    "agent.endWrapUp": "End wrap-up",
    "reason.break": "Break",
    "reason.meal": "Meal",
    "reason.meeting": "Meeting",
    "reason.training": "Training",
    "reason.coaching": "Coaching",
    "reason.admin": "Paperwork",
    "reason.login": "just logged in",
    "reason.missed": "missed a call",
    "reason.lost": "lost with the PBX",

    "call.title": "Current call",
    "call.none": "No call",
    "call.caller": "Caller",
    "call.hotline": "Hotline",
    "call.queue": "Queue",
    "call.wait": "Waited",
    "call.path": "IVR path",
    "call.vars": "Caller's input",
    "call.language": "Language",
    "call.phase": "Phase",
    "call.callback": "Call-back",
    "phase.ringing": "Ringing",
    "phase.connecting": "Connecting (agent ID, whisper)",
    "phase.dialing": "Call-back (customer ringing)",
    "phase.talking": "Talking",
    "phase.held": "On hold",
    "phase.wait": "Hold, transfer and listen-in work once the call is connected.",
    "lang.zh": "Chinese",
    "lang.en": "English",
    "call.hold": "Hold",
    "call.unhold": "Unhold",
    "call.transferQueue": "Transfer to queue",
    "call.transferAgent": "Transfer to colleague",
    "call.colleague": "Colleague's ID",
    "call.pciPause": "Pause recording (card data)",
    "call.pciResume": "Resume recording",
    "call.pciPaused": "Recording paused",
    "call.pciReason": "caller gives card data",
    "phrase.greeting": "Greeting",
    "phrase.louder": "Louder, please",
    "phrase.mandarin": "Mandarin, please",
    "phrase.handset": "Use the handset",
    "phrase.anything-else": "Anything else?",
    "phrase.goodbye": "Goodbye",
    "phrase.please-hold": "Please hold",
    "phrase.silent": "Silent caller (ends the call)",
    "phrase.too-quiet": "Too quiet (ends the call)",
    "phrase.noise": "Line noise (ends the call)",
    "dispo.title": "Disposition",
    "dispo.code": "Category",
    "dispo.note": "Note",
    "dispo.save": "Save disposition",
    "dispo.saved": "Saved",
    "dispo.inquiry": "Inquiry",
    "dispo.complaint": "Complaint",
    "call.survey": "Send to survey",
    "history.title": "Earlier calls",
    "history.at": "When",
    "history.disposition": "Disposition",
    "history.none": "No earlier calls from this number.",
    "today.line": "Today: {answered} calls · average handle time {aht} · CSAT {csat}",
    "softphone.title": "Softphone",
    "sp.state.off": "Not connected",
    "sp.state.connecting": "Connecting…",
    "sp.state.connected": "Connected",
    "sp.state.reconnecting": "Connection lost, reconnecting…",
    "sp.state.sip": "Answer on your phone, {device}",
    "sp.state.none": "No phone configured",
    "sp.state.elsewhere": "Your softphone is in use in another page",
    "sp.take": "Use it here",
    "sp.nomic": "The microphone is not available: {msg}",
    "sp.unavailable": "The softphone is not available: {msg}",
    "sp.incoming": "Incoming call",
    "sp.answer": "Answer",
    "sp.reject": "Reject",
    "sp.hangup": "Hang up",
    "sp.mute": "Mute",
    "sp.unmute": "Unmute",
    "sp.muted": "Muted",
    "sp.keypad": "Keypad",

    "board.queues": "Queues",
    "board.agents": "Agents",
    "board.since": "today's totals",
    "board.today": "today's totals ({day}, since midnight)",
    "board.todaySince": "today's totals ({day}, since the server started at {time})",
    "q.name": "Queue",
    "q.waiting": "Waiting",
    "q.longest": "Longest wait",
    "q.sl": "Service level today",
    "q.abandon": "Abandon rate today",
    "q.answered": "Answered today",
    "q.abandoned": "Abandoned today",
    "q.ready": "Ready / logged in",
    "q.aht": "AHT",
    "a.id": "ID",
    "a.name": "Name",
    "a.state": "State",
    "a.time": "Time in state",
    "a.queue": "Queue",
    "a.call": "Current call",
    "a.answered": "Answered",
    "a.supervise": "Listen / whisper / barge",
    "sup.listen": "Listen",
    "sup.whisper": "Whisper",
    "sup.barge": "Barge",
    "sup.end": "End",
    "sup.active": "{mode}: agent {agent} (session {session}); your phone rings.",
    "sup.noDevice": "Your user has no phone configured to listen in from.",

    "rec.title": "Recordings",
    "rec.from": "From",
    "rec.to": "To",
    "rec.queue": "Queue",
    "rec.agent": "Agent ID",
    "rec.caller": "Caller",
    "rec.outcome": "Outcome",
    "rec.search": "Search",
    "rec.more": "More",
    "rec.none": "No recordings match.",
    "rec.started": "Started",
    "rec.duration": "Duration",
    "rec.csat": "CSAT",
    "rec.pci": "Pauses",
    "rec.state": "State",
    "rec.play": "Play",
    "rec.playing": "Playing {id}",
  },
};

export const languages = Object.keys(text);

let lang = pick(localStorage.getItem("hotline.lang"));
const listeners = [];

function pick(l) {
  return languages.includes(l) ? l : "zh";
}

// language is the UI's language now.
export function language() {
  return lang;
}

// t is key's text in the UI's language, with {name} replaced from params.
export function t(key, params = {}) {
  const s = text[lang][key] ?? text.zh[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

// outcome names a call's outcome code (the engine's words) in the
// language; an unknown code is shown as it is.
export function outcome(code) {
  if (!code) return "";
  const key = "outcome." + code;
  return key in text[lang] ? t(key) : code;
}

// translate sets the text of root's data-i18n elements.
export function translate(root = document) {
  document.documentElement.lang = lang;
  document.title = t("app.title");
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const attr of ["placeholder", "title", "aria-label"]) {
    const data = "i18n" + attr.replace(/(^|-)(\w)/g, (m, d, c) => c.toUpperCase());
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) el.setAttribute(attr, t(el.dataset[data]));
  }
}

// setLanguage switches the UI's language, remembers it and tells the
// views (onLanguage) so that they redraw their own text.
export function setLanguage(l) {
  lang = pick(l);
  localStorage.setItem("hotline.lang", lang);
  translate();
  for (const f of listeners) f(lang);
}

// onLanguage calls f after each switch.
export function onLanguage(f) {
  listeners.push(f);
}

// duration renders seconds as m:ss, or h:mm:ss from an hour: whole
// seconds gone, or, for a countdown (up), whole or part seconds left.
export function duration(secs, up = false) {
  const s = Math.max(0, up ? Math.ceil(secs) : Math.floor(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

// percent renders a share from 0 to 1.
export function percent(x) {
  return `${(x * 100).toFixed(1)}%`;
}

// dateTime renders an RFC 3339 time in the UI's language.
export function dateTime(iso) {
  return new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB");
}
