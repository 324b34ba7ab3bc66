// The messages of a WebSocket, gathered here until the driver's next turn takes them all (see
// inbox.rs): a call into the wasm per burst of messages, not per message.
export class Inbox {
  constructor(socket, wake) {
    this.buffers = [];
    this.length = 0;
    this.text = false;
    this.waiting = false;
    socket.onmessage = (event) => {
      const data = event.data;
      if (typeof data === "string") this.text = true;
      else {
        this.buffers.push(data);
        this.length += data.byteLength;
      }
      if (!this.waiting) {
        this.waiting = true;
        wake();
      }
    };
  }

  // Copies the binary messages, in order, into `into` (`length` bytes long), and forgets them.
  take(into) {
    let at = 0;
    for (const buffer of this.buffers) {
      into.set(new Uint8Array(buffer), at);
      at += buffer.byteLength;
    }
    this.buffers = [];
    this.length = 0;
    this.waiting = false;
  }
}
