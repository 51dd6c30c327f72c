// Portal home: the tiles; the commissioner's own tile only for the commissioner.
"use strict";

Portal.onReady((me) => {
  for (const tile of document.querySelectorAll(".tiles [data-commissioner-only]")) {
    tile.hidden = me.role !== "commissioner";
  }
});
