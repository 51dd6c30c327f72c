// Console home: who I am and what my role lets me do; the tiles the frame filters by permission.
"use strict";

Frame.onReady((me) => {
  Frame.$("scope").textContent = `您管理 ${me.region_name} 及下辖地区，角色为 ${me.role_text}。下面是您可以使用的功能。`;
});
