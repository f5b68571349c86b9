package org.parameternet.data.shards;

import java.io.Serializable;

/**
 * One Parquet row group of a shard: the unit the training reader fetches.
 *
 * @param file the shard's URI (escaped, as {@code Path.toUri().toString()} gives it)
 * @param index the row group's position in the file
 * @param rows rows in the row group
 */
public record RowGroup(String file, int index, long rows) implements Serializable {}
