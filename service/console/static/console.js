// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // The slogan form counts characters as the officer types.
  const text = document.querySelector("textarea[data-max]");
  const count = document.querySelector("[data-testid=char-count]");
  if (text && count) {
    const max = Number(text.dataset.max);
    const update = () => {
      const n = [...text.value.trim().normalize("NFC")].length;
      count.textContent = String(n);
      count.classList.toggle("error", n > max);
    };
    text.addEventListener("input", update);
    update();
  }
  // Destructive buttons ask first.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // Every map zooms (buttons, or the mouse wheel) around the point last clicked, or its centre.
  for (const svg of document.querySelectorAll("svg.map")) {
    const [, , width, height] = svg.getAttribute("viewBox").split(" ").map(Number);
    let zoom = 1;
    let focus = { x: width / 2, y: height / 2 };
    const apply = () => {
      const w = width / zoom, h = height / zoom;
      const x = Math.min(Math.max(focus.x - w / 2, 0), width - w);
      const y = Math.min(Math.max(focus.y - h / 2, 0), height - h);
      svg.setAttribute("viewBox", `${x} ${y} ${w} ${h}`);
      svg.style.setProperty("--zoom", zoom);
    };
    const bar = document.createElement("div");
    bar.className = "map-tools";
    for (const [label, factor, id] of [["放大", 2, "map-zoom-in"], ["缩小", 0.5, "map-zoom-out"], ["全图", 0, "map-zoom-reset"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "small";
      button.textContent = label;
      button.dataset.testid = id;
      button.addEventListener("click", () => {
        zoom = factor ? Math.min(Math.max(zoom * factor, 1), 64) : 1;
        if (!factor) focus = { x: width / 2, y: height / 2 };
        apply();
      });
      bar.append(button);
    }
    svg.before(bar);
    svg.addEventListener("click", (event) => {
      const point = svg.createSVGPoint();
      point.x = event.clientX;
      point.y = event.clientY;
      focus = point.matrixTransform(svg.getScreenCTM().inverse());
    });
  }
  // Map picking: a click on a zone toggles its checkbox; any click sets the explain point.
  const map = document.querySelector("svg.map[data-pick]");
  if (!map) return;
  const form = map.closest("form");
  const picked = map.querySelector(".picked");
  const chosenCount = document.querySelector("[data-testid=zones-chosen-count]");
  const box = (id) => [...form.querySelectorAll("input[name=zone_ids]")].find((b) => b.value === id);
  const refresh = () => {
    for (const g of map.querySelectorAll("g.zone")) {
      const b = box(g.dataset.zoneId);
      g.classList.toggle("selected", Boolean(b && b.checked));
    }
    if (chosenCount) chosenCount.textContent = String(form.querySelectorAll("input[name=zone_ids]:checked").length);
  };
  form.addEventListener("change", (event) => { if (event.target.name === "zone_ids") refresh(); });
  map.addEventListener("click", (event) => {
    const point = map.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    const xy = point.matrixTransform(map.getScreenCTM().inverse());
    const scale = Number(map.dataset.scale);
    const lon = Number(map.dataset.originLon) + xy.x / (scale * Number(map.dataset.cos));
    const lat = Number(map.dataset.originLat) - xy.y / scale;
    const latInput = form.querySelector("input[name=lat]");
    const lonInput = form.querySelector("input[name=lon]");
    if (latInput && lonInput) { latInput.value = lat.toFixed(6); lonInput.value = lon.toFixed(6); }
    picked.setAttribute("cx", xy.x);
    picked.setAttribute("cy", xy.y);
    const zone = event.target.closest("g.zone");
    if (zone) {
      const b = box(zone.dataset.zoneId);
      if (b) { b.checked = !b.checked; refresh(); }
    }
  });
  refresh();
});
