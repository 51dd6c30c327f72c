// Portal home: the tiles (the commissioner's own tile is marked data-requires, shown by the frame).
"use strict";
