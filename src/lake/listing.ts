/** Listing blobs under a prefix, without the directory entries a hierarchical-namespace account adds. */
import type { BlobItem, ContainerClient } from "@azure/storage-blob";

/** ADLS Gen2 shows directories in a flat blob listing as empty blobs with this metadata. */
function isDirectoryMarker(item: BlobItem): boolean {
  return item.metadata?.hdi_isfolder === "true";
}

export async function listFiles(container: ContainerClient, prefix: string): Promise<BlobItem[]> {
  const items: BlobItem[] = [];
  for await (const item of container.listBlobsFlat({ prefix, includeMetadata: true })) {
    if (!isDirectoryMarker(item)) items.push(item);
  }
  return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
