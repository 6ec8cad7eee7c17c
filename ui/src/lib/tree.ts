// The preview's file list as a tree: folders first at each level, files in the order given.

export interface TreeFile<T> {
  kind: "file";
  name: string;
  path: string;
  depth: number;
  item: T;
}

export interface TreeFolder {
  kind: "folder";
  name: string;
  path: string;
  depth: number;
}

export type TreeRow<T> = TreeFile<T> | TreeFolder;

interface Node<T> {
  folders: Map<string, Node<T>>;
  files: { name: string; path: string; item: T }[];
}

/** Rows to show, depth-first: each folder, then what is inside it (folders by name first). */
export function treeRows<T extends { path: string }>(items: readonly T[]): TreeRow<T>[] {
  const root: Node<T> = { folders: new Map(), files: [] };
  for (const item of items) {
    const parts = item.path.split("/");
    let node = root;
    for (const part of parts.slice(0, -1)) {
      let next = node.folders.get(part);
      if (!next) {
        next = { folders: new Map(), files: [] };
        node.folders.set(part, next);
      }
      node = next;
    }
    node.files.push({ name: parts[parts.length - 1] ?? item.path, path: item.path, item });
  }
  const rows: TreeRow<T>[] = [];
  const walk = (node: Node<T>, prefix: string, depth: number) => {
    for (const name of [...node.folders.keys()].sort()) {
      const path = prefix ? `${prefix}/${name}` : name;
      rows.push({ kind: "folder", name, path, depth });
      walk(node.folders.get(name) as Node<T>, path, depth + 1);
    }
    for (const file of [...node.files].sort((a, b) => a.name.localeCompare(b.name))) {
      rows.push({ kind: "file", name: file.name, path: file.path, depth, item: file.item });
    }
  };
  walk(root, "", 0);
  return rows;
}
