"use strict";
// 反诈语音覆盖看板: reads the public API with the console's sign-in (its cookie, sent by the browser) or a
// key typed here (kept for the tab). No outside assets.

const KEY_STORE = "ebike-voice-key";
const SVG_NS = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);
// The zone kinds' Chinese names, rendered into the page by the server (service/zones/kinds.py).
const KIND_NAMES = JSON.parse($("kind-names").textContent);
let mapFocus = "all";

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

function takeKeyFromHash() {
  if (/focus=town/.test(location.hash)) mapFocus = "town";
  const match = location.hash.match(/key=([^&]+)/);
  if (match) {
    sessionStorage.setItem(KEY_STORE, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
}

async function api(path) {
  // Without a typed key the console's sign-in cookie goes with the request (same origin, reads only).
  const key = sessionStorage.getItem(KEY_STORE);
  const response = await fetch(path, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail; } catch (_) { /* not JSON */ }
    throw new ApiError(response.status, detail);
  }
  return response.json();
}

// A stat the key may not read (403) is shown as unavailable rather than failing the whole page.
async function optional(path) {
  try { return await api(path); } catch (error) {
    if (error instanceof ApiError && (error.status === 403 || error.status === 404)) return null;
    throw error;
  }
}

function localDate(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function setDays(days) {
  const until = new Date();
  const since = new Date(until.getTime() - (days - 1) * 86400000);
  $("since").value = localDate(since);
  $("until").value = localDate(until);
}

function period() {
  const since = new Date(`${$("since").value}T00:00:00`);
  const until = new Date(`${$("until").value}T00:00:00`);
  until.setDate(until.getDate() + 1);
  return new URLSearchParams({ since: since.toISOString(), until: until.toISOString() }).toString();
}

function el(tag, attrs = {}, text) {
  const node = tag === "svg" || ["path", "circle", "g", "rect", "text", "title", "line"].includes(tag)
    ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function formatTime(iso) {
  return iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "—";
}

function heat(plays, max) {
  if (!plays) return "#e5e7eb";
  const t = max > 1 ? Math.log(plays) / Math.log(max) : 1;
  const lightness = 85 - 55 * t;
  return `hsl(8, 80%, ${lightness}%)`;
}

function zoneCenter(zone) {
  const g = zone.geometry;
  if (g.type === "Point") return g.coordinates;
  const ring = g.type === "Polygon" ? g.coordinates[0] : g.coordinates[0][0];
  return [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length];
}

// The town: zones within 5 km of the median zone, where parking zones crowd together.
function townZones(zones) {
  const centers = zones.map(zoneCenter);
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const [lon0, lat0] = [median(centers.map((c) => c[0])), median(centers.map((c) => c[1]))];
  const km = (c) => Math.hypot((c[0] - lon0) * 111.32 * Math.cos(lat0 * Math.PI / 180), (c[1] - lat0) * 111.32);
  const near = zones.filter((_, i) => km(centers[i]) <= 5);
  return near.length ? near : zones;
}

function drawMap(zones, playsByZone) {
  const svg = $("map");
  svg.replaceChildren();
  const points = [];
  for (const zone of mapFocus === "town" ? townZones(zones) : zones) {
    const g = zone.geometry;
    if (g.type === "Point") points.push(g.coordinates);
    else if (g.type === "Polygon") points.push(...g.coordinates[0]);
    else if (g.type === "MultiPolygon") g.coordinates.forEach((poly) => points.push(...poly[0]));
  }
  if (!points.length) return;
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  const [minLon, maxLon, minLat, maxLat] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const kx = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const width = 800;
  const spanX = Math.max((maxLon - minLon) * kx, 1e-6);
  const spanY = Math.max(maxLat - minLat, 1e-6);
  const scale = (width - 40) / Math.max(spanX, spanY * 1.4);
  const height = Math.max(spanY * scale + 40, 300);
  const project = ([lon, lat]) => [20 + (lon - minLon) * kx * scale, 20 + (maxLat - lat) * scale];
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const max = Math.max(1, ...zones.map((z) => playsByZone.get(z.id)?.plays ?? 0));
  for (const zone of zones) {
    const stat = playsByZone.get(zone.id);
    const plays = stat ? stat.plays : 0;
    const group = el("g", { class: "zone", "data-zone-id": zone.id, "data-plays": String(plays) });
    const fill = heat(plays, max);
    const g = zone.geometry;
    let center;
    if (g.type === "Point") {
      center = project(g.coordinates);
      const r = Math.max(((zone.radius_m || 50) / 111320) * scale, 5);
      group.append(el("circle", { cx: center[0], cy: center[1], r, fill }));
    } else {
      const polygons = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
      const d = polygons.map((rings) => rings.map((ring) => "M" + ring.map((p) => project(p).join(",")).join("L") + "Z").join("")).join("");
      group.append(el("path", { d, fill }));
      const xs = polygons.flatMap((rings) => rings[0].map((p) => project(p)));
      center = [xs.reduce((s, p) => s + p[0], 0) / xs.length, xs.reduce((s, p) => s + p[1], 0) / xs.length];
      const extent = Math.max(...xs.map((p) => p[0])) - Math.min(...xs.map((p) => p[0]));
      // Town zones are a few hundred metres across: keep them visible on a county-wide map.
      if (extent < 8) group.append(el("circle", { cx: center[0], cy: center[1], r: 5, fill, class: "marker" }));
    }
    if (!plays) group.classList.add("silent");
    group.append(el("title", {}, `${zone.name}（${KIND_NAMES[zone.kind] || zone.kind}）：播放 ${plays} 次`));
    svg.append(group);
  }
  $("legend").replaceChildren(
    el("span", { class: "swatch", style: `background:${heat(0, max)}` }), document.createTextNode(" 未播放 "),
    el("span", { class: "swatch", style: `background:${heat(1, max)}` }), document.createTextNode(" 少 "),
    el("span", { class: "swatch", style: `background:${heat(max, max)}` }), document.createTextNode(` 多（最高 ${max} 次）`),
  );
}

function drawBars(svg, bars) {
  svg.replaceChildren();
  const width = 600, height = 220, pad = 28;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const max = Math.max(1, ...bars.map((b) => b.value));
  const step = (width - pad * 2) / Math.max(bars.length, 1);
  bars.forEach((bar, i) => {
    const h = ((height - pad * 2) * bar.value) / max;
    const x = pad + i * step;
    const rect = el("rect", { x: x + 1, y: height - pad - h, width: Math.max(step - 2, 1), height: h, class: "bar", "data-key": bar.key, "data-plays": String(bar.value) });
    rect.append(el("title", {}, `${bar.label}：${bar.value} 次`));
    svg.append(rect);
    if (bars.length <= 31 || i % Math.ceil(bars.length / 15) === 0) {
      svg.append(el("text", { x: x + step / 2, y: height - 8, "text-anchor": "middle", class: "tick" }, bar.label));
    }
  });
  svg.append(el("text", { x: pad, y: 14, class: "tick" }, `最高 ${max}`));
}

function fillTable(table, rows) {
  const body = table.tBodies[0];
  body.replaceChildren(...rows.map((cells) => {
    const tr = el("tr");
    for (const cell of cells) {
      const td = el("td");
      if (cell instanceof Node) td.append(cell); else td.textContent = String(cell);
      tr.append(td);
    }
    return tr;
  }));
}

async function refresh() {
  const query = period();
  $("status").textContent = "加载中…";
  try {
    const [zones, coverage, daily, hourly, reach, slogans] = await Promise.all([
      api("/v1/zones"),
      optional(`/v1/stats/coverage?${query}`),
      optional(`/v1/stats/timeseries?bucket=day&${query}`),
      optional(`/v1/stats/timeseries?bucket=hour&${query}`),
      optional(`/v1/stats/slogans?${query}`),
      optional("/v1/slogans"),
    ]);
    if (slogans === null) {
      // Only admin and police keys may read slogans: an operator's key has no business here.
      $("status").textContent = "此密钥无权查看看板，请使用管理员或派出所的密钥。";
      document.body.dataset.ready = "forbidden";
      return;
    }
    const byZone = new Map((coverage?.zones ?? []).map((z) => [z.zone_id, z]));
    const totalPlays = coverage ? coverage.zones.reduce((s, z) => s + z.plays, 0) : null;
    const totalConfirmed = coverage ? coverage.zones.reduce((s, z) => s + (z.confirmed_plays ?? 0), 0) : null;
    $("zones-total").textContent = coverage ? coverage.zones_total : zones.length;
    $("zones-covered").textContent = coverage ? coverage.zones_covered : "无权限";
    $("coverage-ratio").textContent = coverage ? `${(coverage.coverage_ratio * 100).toFixed(1)}%` : "无权限";
    $("plays-total").textContent = totalPlays ?? "无权限";
    $("confirmed-total").textContent = totalConfirmed ?? "无权限";
    drawMap(zones, byZone);

    const names = new Map(zones.map((z) => [z.id, z]));
    const silent = coverage ? coverage.silent_zone_ids : [];
    $("silent-count").textContent = coverage ? `共 ${silent.length} 个` : "无权限查看";
    $("silent").replaceChildren(...silent.map((id) => {
      const zone = names.get(id);
      return el("li", { "data-zone-id": id }, zone ? `${zone.name}（${KIND_NAMES[zone.kind] || zone.kind}）` : id);
    }));

    if (daily) {
      drawBars($("daily"), daily.points.map((p) => {
        const d = new Date(p.t);
        return { key: p.t, label: `${d.getMonth() + 1}/${d.getDate()}`, value: p.plays };
      }));
    }
    if (hourly) {
      const byHour = Array.from({ length: 24 }, () => 0);
      for (const p of hourly.points) byHour[new Date(p.t).getHours()] += p.plays;
      drawBars($("hourly"), byHour.map((value, hour) => ({ key: String(hour), label: `${hour}时`, value })));
    }

    if (coverage) {
      const ordered = [...coverage.zones].sort((a, b) => b.plays - a.plays || a.zone_id.localeCompare(b.zone_id));
      fillTable($("zones"), ordered.map((z) => [z.name, KIND_NAMES[z.kind] || z.kind, z.plays, z.confirmed_plays ?? 0, z.unique_bikes, z.slogans, formatTime(z.last_play_at)]));
    }
    const clipBySlogan = new Map((slogans ?? []).map((s) => [s.id, s.clips.find((c) => c.event === "unlock" && c.format === "mp3" && c.url)]));
    if (reach) {
      fillTable($("slogans"), reach.slogans.map((s) => {
        const clip = clipBySlogan.get(s.slogan_id);
        const player = clip ? el("audio", { controls: "", preload: "none", src: clip.url }) : "无音频";
        return [s.text, s.issuer, s.plays, s.confirmed_plays ?? 0, s.zones_reached, s.unique_bikes, player];
      }));
      $("slogans").tBodies[0].querySelectorAll("tr").forEach((tr, i) => {
        tr.setAttribute("data-slogan-id", reach.slogans[i].slogan_id);
        tr.setAttribute("data-plays", reach.slogans[i].plays);
      });
    }
    $("status").textContent = `数据已更新：${new Date().toLocaleTimeString("zh-CN", { hour12: false })}`;
    document.body.dataset.ready = "true";
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      // A typed key that does not work is said so; with neither key nor console sign-in, just ask.
      const typed = sessionStorage.getItem(KEY_STORE);
      sessionStorage.removeItem(KEY_STORE);
      show(false, typed ? "密钥无效或已停用，请重新登录。" : "");
      document.body.dataset.ready = "signin";
      return;
    }
    $("status").textContent = `加载失败：${error.message}`;
    document.body.dataset.ready = "error";
  }
}

function show(signedIn, message = "") {
  $("signin").hidden = signedIn;
  $("board").hidden = !signedIn;
  $("signout").hidden = !signedIn;
  $("signin-error").textContent = message;
}

function start() {
  takeKeyFromHash();
  document.querySelectorAll("#map-focus button").forEach((b) => b.classList.toggle("active", b.dataset.focus === mapFocus));
  document.querySelectorAll("#map-focus button").forEach((button) =>
    button.addEventListener("click", () => {
      mapFocus = button.dataset.focus;
      document.querySelectorAll("#map-focus button").forEach((b) => b.classList.toggle("active", b === button));
      refresh();
    }));
  setDays(7);
  document.querySelectorAll("#period button[data-days]").forEach((button) =>
    button.addEventListener("click", () => { setDays(Number(button.dataset.days)); refresh(); }));
  $("period").addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORE, $("key").value.trim());
    show(true);
    refresh();
  });
  $("signout").addEventListener("click", async () => {
    sessionStorage.removeItem(KEY_STORE);
    await fetch("/console/signout", { method: "POST" });  // the console's sign-in ends too
    show(false);
  });
  // Signed in by a typed key or by the console: the first read tells which, or asks for a key.
  show(true);
  refresh();
}

start();
