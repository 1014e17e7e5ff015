/**
 * A TCP proxy between the app and PostgreSQL, so a test can kill every connection at once (as a
 * database restart or a network cut does) or refuse new ones for a while (the database is down),
 * without touching the PostgreSQL server other suites share.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  /** Destroys every open connection; new ones are still accepted. */
  cutConnections(): void;
  /** Refuses (resets) every new connection and cuts the open ones: the database is "down". */
  goDown(): void;
  goUp(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let down = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  const cutConnections = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: address.port,
    cutConnections,
    goDown() {
      down = true;
      cutConnections();
    },
    goUp() {
      down = false;
    },
    close() {
      cutConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
