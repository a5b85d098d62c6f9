// The moderation queue lives in the Wagtail admin, whose <body> we do not render:
// copy the queue's live declarations onto <body> so the one live client
// (live.js, loaded after this module) finds them where it looks.
const queue = document.getElementById("moderation-queue");
if (queue) {
  for (const name of ["liveTopics", "viewerId", "liveSince"]) {
    if (queue.dataset[name] !== undefined) document.body.dataset[name] = queue.dataset[name];
  }
}
